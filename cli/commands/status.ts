// status: everything the functions did that is still in effect (quarantines, scales to 0),
// and the deletions they made (from the evidence objects; from Events, which expire, when
// there is no evidence).
import {
  isIntactQuarantine,
  policiesUndoingQuarantine,
  QUARANTINE_LABEL,
  quarantinePolicyName,
} from '../../functions/isolate-pod/quarantine.ts';
import { DEFAULT_EVIDENCE_NAMESPACE } from '../../shared/forensics/evidence-settings.ts';
import { listEvidence } from '../../shared/forensics/evidence-store.ts';
import { GITOPS_MODE_ANNOTATION, PREVIOUS_REPLICAS_ANNOTATION } from '../../shared/gitops/records.ts';
import { KubeError } from '../../shared/k8s/errors.ts';
import { controllerOf, KEYS } from '../../shared/k8s/keys.ts';
import type { KubeClient, KubeObject, ScalableKind } from '../../shared/k8s/kube-client.ts';
import { age, render } from '../output.ts';
import type { CommandContext } from './command.ts';

export interface StatusItem {
  action: 'isolated' | 'scaled-to-zero' | 'deleted';
  namespace: string;
  object: string;
  function: string;
  rule: string;
  at: string | undefined;
  /** Whether it still holds: a quarantine intact, a workload still at 0. */
  inEffect: boolean;
  state: string;
  /** Where a deletion is known from. */
  source?: 'evidence' | 'event';
  previousReplicas?: number;
}

const SCALABLE: ScalableKind[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];

async function quarantines(kube: KubeClient, namespace: string | undefined): Promise<StatusItem[]> {
  const pods = (await kube.listPods(namespace, QUARANTINE_LABEL)).items;
  return Promise.all(
    pods.map(async (pod): Promise<StatusItem> => {
      const ns = pod.metadata!.namespace!;
      const annotations = pod.metadata?.annotations ?? {};
      const policyName = annotations[KEYS.quarantinePolicy.key] ?? quarantinePolicyName(pod.metadata!.name!);
      const [policy, all] = await Promise.all([kube.getNetworkPolicy(ns, policyName), kube.listNetworkPolicies(ns)]);
      const holes = policiesUndoingQuarantine(all.items, pod.metadata?.labels ?? {}, policyName);
      const intact = !!policy && isIntactQuarantine(policy, pod.metadata!.uid!);
      const state = !policy
        ? `NetworkPolicy ${policyName} is gone`
        : !intact
          ? `NetworkPolicy ${policyName} was changed`
          : holes.length > 0
            ? `undone: ${holes.join('; ')}`
            : 'intact';
      return {
        action: 'isolated',
        namespace: ns,
        object: `pod/${pod.metadata!.name}`,
        function: 'isolate-pod',
        rule: annotations[KEYS.isolatedByRule.key] ?? '',
        at: annotations[KEYS.isolatedAt.key],
        inEffect: intact && holes.length === 0,
        state,
      };
    }),
  );
}

const GITOPS_SAYS: Record<string, string> = {
  suspend: 'its GitOps owner is suspended until restore',
  commit: 'the count 0 is committed to Git',
};

async function scaledDown(kube: KubeClient, namespace: string | undefined): Promise<StatusItem[]> {
  const lists = await Promise.all(SCALABLE.map(async (kind) => ({ kind, items: (await kube.listWorkloads(kind, namespace)).items })));
  // A Deployment's ReplicaSets carry copies of its annotations: the Deployment is the one scaled.
  const scaled = (w: KubeObject) =>
    w.metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION] !== undefined &&
    !(w.metadata?.ownerReferences ?? []).some((ref) => ref.controller && ref.kind === 'Deployment');
  return lists.flatMap(({ kind, items }) =>
    items.filter(scaled).map((w): StatusItem => {
      const annotations = w.metadata!.annotations!;
      const replicas = Number(w.spec?.replicas ?? 0);
      const gitops = GITOPS_SAYS[annotations[GITOPS_MODE_ANNOTATION] ?? ''] ?? 'a GitOps owner, if any, may scale it back';
      return {
        action: 'scaled-to-zero',
        namespace: w.metadata!.namespace!,
        object: `${kind.toLowerCase()}/${w.metadata!.name}`,
        function: 'scale-to-zero',
        rule: annotations[KEYS.scaledByRule.key] ?? '',
        at: annotations[KEYS.scaledToZeroAt.key],
        inEffect: replicas === 0,
        state:
          replicas === 0 ? `at 0 (was ${annotations[PREVIOUS_REPLICAS_ANNOTATION]}); ${gitops}` : `back at ${replicas} without restore`,
        previousReplicas: Number(annotations[PREVIOUS_REPLICAS_ANNOTATION]),
      };
    }),
  );
}

async function deletions(kube: KubeClient, namespace: string | undefined, evidenceNamespace: string): Promise<StatusItem[]> {
  let fromEvidence: StatusItem[] = [];
  try {
    const records = await listEvidence(kube, evidenceNamespace, namespace ? { podNamespace: namespace } : {});
    fromEvidence = records
      .filter((r) => r.summary.function === 'delete-pod')
      .map((r) => ({
        action: 'deleted',
        namespace: r.summary.pod.namespace,
        object: `pod/${r.summary.pod.name}`,
        function: 'delete-pod',
        rule: r.summary.rule,
        at: r.summary.capturedAt,
        inEffect: false,
        state: `evidence ${evidenceNamespace}/${r.name}`,
        source: 'evidence',
      }));
  } catch (error) {
    if (!(error instanceof KubeError && (error.kind === 'forbidden' || error.kind === 'not-found'))) throw error;
  }
  const known = new Set(fromEvidence.map((d) => `${d.namespace}/${d.object}`));
  const events = (await kube.listEvents(namespace, 'reason=Deleted')).items.filter(
    (e) => e.reportingComponent === controllerOf('delete-pod'),
  );
  const fromEvents = events
    .filter((e) => !known.has(`${e.involvedObject.namespace}/pod/${e.involvedObject.name}`))
    .map(
      (e): StatusItem => ({
        action: 'deleted',
        namespace: e.involvedObject.namespace ?? '',
        object: `pod/${e.involvedObject.name}`,
        function: 'delete-pod',
        rule: /Alert: (.*) \([a-z]+\) at /.exec(e.message ?? '')?.[1] ?? '',
        at: toIso(e.eventTime ?? e.lastTimestamp ?? e.metadata?.creationTimestamp),
        inEffect: false,
        state: 'from its Event (Events expire, 1 h by default; no evidence kept)',
        source: 'event',
      }),
    );
  return [...fromEvidence, ...fromEvents];
}

function toIso(value: unknown): string | undefined {
  return value ? new Date(value as string).toISOString() : undefined;
}

export const STATUS_HELP = `falco-response status [-n NS | -A] [-o table|json|yaml] [--evidence-namespace NS]

What the functions did and what is still in effect: quarantined pods (intact, or undone by
another NetworkPolicy), workloads scaled to 0 with their previous count, and deletions (from
the evidence objects, else from Events, which expire).`;

export async function status(context: CommandContext): Promise<number> {
  const { kube, namespace } = context.connect();
  const evidenceNamespace = (context.own['evidence-namespace'] as string | undefined) ?? DEFAULT_EVIDENCE_NAMESPACE;
  const items = (
    await Promise.all([quarantines(kube, namespace), scaledDown(kube, namespace), deletions(kube, namespace, evidenceNamespace)])
  ).flat();
  context.write(
    render(
      context.common.output,
      {
        columns: [
          ['ACTION', (i) => i.action],
          ['NAMESPACE', (i) => i.namespace],
          ['OBJECT', (i) => i.object],
          ['RULE', (i) => i.rule],
          ['AGE', (i) => age(i.at)],
          ['IN EFFECT', (i) => (i.inEffect ? 'yes' : 'no')],
          ['STATE', (i) => i.state],
        ],
        rows: items,
        empty: 'Nothing done by falco-response is in effect.',
      },
      { items },
    ),
  );
  return 0;
}
