// What the demo shows after the alerts: the cluster read back as the admin (not what the
// functions said they did), the Events they wrote, and the writes the API server's audit log
// recorded for each function's identity.
import { QUARANTINE_LABEL, quarantinePolicyName } from '../../functions/isolate-pod/quarantine.ts';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../../functions/scale-to-zero/spec.ts';
import { readAudit } from '../../testbed/cluster/audit.ts';
import { type ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { podExists, type AdminApis } from '../../testbed/workloads/hand-made.ts';
import { FUNCTION_NAMESPACE } from '../../testbed/functions/function-under-test.ts';
import type { FunctionName } from '../../testbed/functions/bundles.ts';
import { clip, table, type DemoConsole } from './console.ts';

export interface DemoTargets {
  namespace: string;
  bare: { pod: string; containerId: string };
  deployment: { name: string; pod: string; containerId: string; replicas: number };
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

async function showDeletedPod(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, deployment } = targets;
  const pod = await podExists(api, namespace, deployment.pod);
  out.check(!pod, `Pod ${deployment.pod} is gone (delete-pod)`, `Pod ${deployment.pod} still exists`);
}

async function showScaledDeployment(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, deployment } = targets;
  const object = await api.apps.readNamespacedDeployment({ namespace, name: deployment.name });
  const replicas = object.spec?.replicas;
  const previous = object.metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION];
  const scaled = out.check(
    replicas === 0 && previous === String(deployment.replicas),
    `Deployment ${deployment.name} is at 0 replicas (scale-to-zero); the previous count is recorded: ${PREVIOUS_REPLICAS_ANNOTATION}=${previous}`,
    `Deployment ${deployment.name}: replicas=${replicas}, ${PREVIOUS_REPLICAS_ANNOTATION}=${previous ?? '(none)'}`,
  );
  if (scaled) out.detail(`to restore it: kubectl scale deployment ${deployment.name} -n ${namespace} --replicas=${previous}`);
}

async function showQuarantine(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const { namespace, bare } = targets;
  const name = quarantinePolicyName(bare.pod);
  let policy;
  try {
    policy = await api.networking.readNamespacedNetworkPolicy({ namespace, name });
  } catch {
    out.fail(`NetworkPolicy ${name} does not exist`);
    return;
  }
  const spec = policy.spec!;
  const denyAll = (spec.policyTypes ?? []).includes('Ingress') && (spec.policyTypes ?? []).includes('Egress') && (spec.ingress ?? []).length === 0 && (spec.egress ?? []).length === 0;
  out.check(denyAll, `NetworkPolicy ${name} (isolate-pod) denies all ingress and egress`, `NetworkPolicy ${name} is not deny-all: ${JSON.stringify(spec)}`);
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
    pod !== undefined && pod.metadata?.labels?.[QUARANTINE_LABEL] === pod.metadata?.uid,
    `Pod ${bare.pod} is still there to be examined, labelled ${QUARANTINE_LABEL}=<its uid>`,
    `Pod ${bare.pod} is missing or not labelled`,
  );
}

async function showEvents(out: DemoConsole, api: AdminApis, targets: DemoTargets): Promise<void> {
  const events = (await api.events.listNamespacedEvent({ namespace: targets.namespace })).items;
  events.sort((a, b) => String(a.eventTime ?? '').localeCompare(String(b.eventTime ?? '')));
  const reasons = events.map((event) => event.reason);
  out.check(
    ['ScaledToZero', 'Deleted', 'Isolated'].every((reason) => reasons.includes(reason)),
    `${events.length} Events written (kubectl get events -n ${targets.namespace}):`,
    `expected Events ScaledToZero, Deleted and Isolated; found: ${reasons.join(', ') || '(none)'}`,
  );
  const rows = events.map((event) => [event.type ?? '', event.reason ?? '', `${event.regarding?.kind}/${event.regarding?.name}`, clip(event.note ?? '', 70)]);
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
}

export async function showClusterState(out: DemoConsole, cluster: ClusterCoords, api: AdminApis, targets: DemoTargets, names: readonly FunctionName[]): Promise<void> {
  out.heading('What the API server shows now (read back as the cluster admin)');
  await showScaledDeployment(out, api, targets);
  await showDeletedPod(out, api, targets);
  await showQuarantine(out, api, targets);
  await showEvents(out, api, targets);
  out.heading("Who wrote what: the API server's audit log, per function identity");
  showAuditedWrites(out, cluster, names);
}
