// What the demo shows after the alerts: the cluster read back as the admin (not what the
// functions said they did), the Events they wrote, and the writes the API server's audit log
// recorded for each function's identity.
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { QUARANTINE_LABEL, quarantinePolicyName } from '../../functions/isolate-pod/quarantine.ts';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../../functions/scale-to-zero/spec.ts';
import { readAudit, writersIn } from '../../testbed/cluster/audit.ts';
import { waitForPods } from '../../testbed/workloads/controllers.ts';
import { podExists, podsMatching, shortContainerId, waitForPodGone } from '../../testbed/workloads/pods.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import type { AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { FUNCTION_NAMESPACE } from '../../testbed/functions/function-under-test.ts';
import type { FunctionName } from '../../testbed/functions/bundles.ts';
import { clip, table, type DemoConsole } from './console.ts';

export interface PodTarget {
  pod: string;
  uid: string;
  containerId: string;
}

export interface DemoTargets {
  namespace: string;
  /** isolate-pod's: a bare pod. */
  bare: PodTarget;
  /** delete-pod's: a pod of Deployment `name`. */
  deleted: PodTarget & { name: string; selector: Record<string, string>; replicas: number; pods: string[] };
  /** scale-to-zero's: a pod of Deployment `name`, whose pods are `pods`. */
  scaled: PodTarget & { name: string; selector: Record<string, string>; replicas: number; pods: string[] };
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

async function showReplacement(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, deleted } = targets;
  try {
    await waitForPodGone(api, namespace, deleted.pod, deleted.uid, 30_000);
    out.ok(`Pod ${deleted.pod} is gone (delete-pod)`);
  } catch {
    out.fail(`Pod ${deleted.pod} still exists`);
    return;
  }
  try {
    const pods = await waitForPods(api, namespace, deleted.selector, deleted.replicas, 30_000);
    const replacement = pods.find((pod) => !deleted.pods.includes(pod.metadata!.name!))!;
    out.ok(
      `its ReplicaSet made Pod ${replacement.metadata!.name} in its place: Running on ${replacement.spec!.nodeName}, container ${shortContainerId(replacement)} (not the one Falco saw)`,
      4,
    );
    out.detail(`Deployment ${deleted.name} is back to ${deleted.replicas} ready pods.`, 6);
  } catch (error) {
    out.fail(`no replacement for ${deleted.pod}: ${(error as Error).message}`, 4);
  }
}

async function showScaledDeployment(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, scaled } = targets;
  const object = await api.apps.readNamespacedDeployment({ namespace, name: scaled.name });
  const replicas = object.spec?.replicas;
  const previous = object.metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION];
  const ok = out.check(
    replicas === 0 && previous === String(scaled.replicas),
    `Deployment ${scaled.name} is at 0 replicas (scale-to-zero); the previous count is recorded: ${PREVIOUS_REPLICAS_ANNOTATION}=${previous}`,
    `Deployment ${scaled.name}: replicas=${replicas}, ${PREVIOUS_REPLICAS_ANNOTATION}=${previous ?? '(none)'}`,
  );
  if (!ok) return;
  const terminating = (await podsMatching(api, namespace, scaled.selector))
    .filter((pod) => pod.metadata?.deletionTimestamp)
    .map((pod) => pod.metadata!.name!);
  if (terminating.length > 0) out.detail(`its ReplicaSet is terminating ${terminating.join(', ')} ...`, 4);
  try {
    await waitForPods(api, namespace, scaled.selector, 0, 30_000);
    out.ok(`its pods ${scaled.pods.join(', ')} terminated and none came back`, 4);
  } catch {
    out.fail(`pods of ${scaled.name} are still there`, 4);
  }
  out.detail(`to restore it: falco-response restore deployment/${scaled.name} -n ${namespace} (the last step)`, 4);
}

async function showQuarantine(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, bare } = targets;
  const name = quarantinePolicyName(bare.pod);
  let policy: V1NetworkPolicy;
  try {
    policy = await api.networking.readNamespacedNetworkPolicy({ namespace, name });
  } catch {
    out.fail(`NetworkPolicy ${name} does not exist`);
    return;
  }
  const spec = policy.spec!;
  const denyAll =
    (spec.policyTypes ?? []).includes('Ingress') &&
    (spec.policyTypes ?? []).includes('Egress') &&
    (spec.ingress ?? []).length === 0 &&
    (spec.egress ?? []).length === 0;
  out.check(
    denyAll,
    `NetworkPolicy ${name} (isolate-pod) denies all ingress and egress`,
    `NetworkPolicy ${name} is not deny-all: ${JSON.stringify(spec)}`,
  );
  const selector = Object.entries(spec.podSelector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const selected = (await api.core.listNamespacedPod({ namespace, labelSelector: selector })).items.map((p) => p.metadata!.name!);
  out.check(
    selected.length === 1 && selected[0] === bare.pod,
    `it selects ${selector} → pods: ${selected.join(', ')}`,
    `it selects ${selector || '(everything)'} → pods: ${selected.join(', ') || '(none)'}`,
    4,
  );
  const pod = await podExists(api, namespace, bare.pod);
  out.check(
    pod !== undefined && pod.status?.phase === 'Running' && pod.metadata?.labels?.[QUARANTINE_LABEL] === pod.metadata?.uid,
    `Pod ${bare.pod} is still Running, to be examined, labelled ${QUARANTINE_LABEL}=<its uid>`,
    `Pod ${bare.pod} is missing, not running or not labelled`,
  );
  out.detail(
    `The policy is owned by the pod: deleting the pod removes it too. Once examined, the person on call releases it (the last step).`,
    4,
  );
}

async function showEvents(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const all = (await api.events.listNamespacedEvent({ namespace: targets.namespace })).items;
  // The functions' own; the controllers' (SuccessfulCreate, Scheduled, ScalingReplicaSet ...) are counted apart.
  const events = all.filter((event) => event.reportingController?.startsWith('falco-response.dev/'));
  events.sort((a, b) => String(a.eventTime ?? '').localeCompare(String(b.eventTime ?? '')));
  const reasons = events.map((event) => event.reason);
  out.check(
    ['ScaledToZero', 'Deleted', 'Isolated'].every((reason) => reasons.includes(reason)),
    `${events.length} Events written by the functions (kubectl get events -n ${targets.namespace}; ${all.length - events.length} more by the controllers):`,
    `expected Events ScaledToZero, Deleted and Isolated; found: ${reasons.join(', ') || '(none)'}`,
  );
  const rows = events.map((event) => [
    event.type ?? '',
    event.reason ?? '',
    `${event.regarding?.kind}/${event.regarding?.name}`,
    clip(event.note ?? '', 70),
  ]);
  for (const line of table(rows)) out.detail(line);
}

function showAuditedWrites(out: DemoConsole, cluster: ClusterCoords, names: readonly FunctionName[]): void {
  for (const name of names) {
    const identity = `system:serviceaccount:${FUNCTION_NAMESPACE}:${name}`;
    const counts = new Map<string, number>();
    for (const event of readAudit(cluster, { user: identity, verbs: WRITE_VERBS })) {
      const ref = event.objectRef ?? {};
      const what = `${event.verb} ${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''}`;
      const status = event.responseStatus?.code ?? 0;
      const key = `${what}${status >= 300 ? ` (refused ${status})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const summary = [...counts].map(([what, n]) => `${n}× ${what}`).join(', ');
    out.check(counts.size > 0, `${name.padEnd(13)} ${summary}`, `${name}: no writes in the audit log`);
  }
  out.detail(`Identities are system:serviceaccount:${FUNCTION_NAMESPACE}:<function>; the audit log records every write and who made it.`);
  out.detail(
    `"patch leases" is each action's slot in the cluster-wide action budget (Lease ${FUNCTION_NAMESPACE}/falco-response-budget), taken before the first write;`,
  );
  out.detail(`"create secrets" the evidence kept before the action (falco-response-evidence: the pod, the alert, its Events, its logs).`);
}

function showControllerWrites(out: DemoConsole, cluster: ClusterCoords, namespace: string): void {
  const writers = writersIn(cluster, namespace);
  const controllers = [...writers].filter(
    ([user]) => user.startsWith('system:serviceaccount:kube-system:') || user === 'system:kube-scheduler' || user === 'testbed:kwok',
  );
  controllers.sort((a, b) => b[1] - a[1]);
  out.ok(
    `beside them, in ${namespace}: ${controllers.map(([user, n]) => `${user.replace('system:serviceaccount:kube-system:', '')} ${n}`).join(', ')}`,
  );
  out.detail('(each controller writes as its own kube-system ServiceAccount; the scheduler and kwok as themselves)');
}

export async function showClusterState(
  out: DemoConsole,
  cluster: ClusterCoords,
  api: AdminApis,
  targets: DemoTargets,
  names: readonly FunctionName[],
): Promise<void> {
  out.heading('What the cluster did next (read back as the cluster admin)');
  await showReplacement(out, api, targets);
  await showScaledDeployment(out, api, targets);
  await showQuarantine(out, api, targets);
  await showEvents(out, api, targets);
  out.heading("Who wrote what: the API server's audit log, per function identity, and the controllers'");
  showAuditedWrites(out, cluster, names);
  showControllerWrites(out, cluster, targets.namespace);
}
