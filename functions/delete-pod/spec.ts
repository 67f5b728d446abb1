// delete-pod: deletes the pod the alert names, so the shell (or whatever ran) dies with it.
import type { V1Pod } from '@kubernetes/client-node';
import type { ControllingOwner } from '../../shared/guards/owner.ts';
import { podRef } from '../../shared/guards/target.ts';
import { KEYS } from '../../shared/k8s/keys.ts';
import { acted, skipped, type Decision } from '../../shared/respond/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { DEFAULT_DELETE_POD_SETTINGS, DELETE_POD_SETTINGS, type DeletePodSettings } from './settings.ts';

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Skips the delete when it would leave the owner with fewer ready replicas than MIN_READY_REPLICAS. */
export function minReadyShortfall(
  pod: V1Pod,
  owner: ControllingOwner,
  minReady: DeletePodSettings['minReadyReplicas'],
): string | undefined {
  if (!minReady || !owner.scalable) return undefined;
  const status = owner.scalable.object.status ?? {};
  const desired = Number(owner.scalable.object.spec?.replicas ?? 1);
  const readyNow = Number(status.readyReplicas ?? 0);
  const readyAfter = readyNow - (isReady(pod) ? 1 : 0);
  const required = 'count' in minReady ? minReady.count : Math.ceil((minReady.percent / 100) * desired);
  if (readyAfter >= required) return undefined;
  return `${owner.kind} ${owner.name} has ${readyNow} ready of ${desired}; deleting this pod would leave ${readyAfter}, below MIN_READY_REPLICAS=${'count' in minReady ? minReady.count : `${minReady.percent}%`} (${required})`;
}

/**
 * What follows the delete, as Kubernetes' controllers behave (pinned by the reacting-cluster
 * tests): the answer's details.consequence and the Event's falco-response.dev/consequence.
 */
export type DeleteConsequence =
  /** ReplicaSet (Deployment), ReplicationController, DaemonSet: a new pod, new name and UID. */
  | 'recreated'
  /** StatefulSet: a new pod under the same name (new UID, new containers). */
  | 'recreated-same-name'
  /** Job (CronJob): counted as a failure; a new pod while failures stay within backoffLimit. */
  | 'recreated-within-backoff-limit'
  /** A bare pod: nothing recreates it. */
  | 'gone-for-good'
  /** A controller kind this function does not know: up to it. */
  | 'up-to-its-controller';

export const CONSEQUENCE_ANNOTATION = KEYS.consequence.key;

export function deleteConsequence(kind: ControllingOwner['kind']): DeleteConsequence {
  switch (kind) {
    case 'Standalone':
      return 'gone-for-good';
    case 'StatefulSet':
      return 'recreated-same-name';
    case 'Job':
    case 'CronJob':
      return 'recreated-within-backoff-limit';
    case 'ReplicaSet':
    case 'Deployment':
    case 'ReplicationController':
    case 'DaemonSet':
      return 'recreated';
    default:
      return 'up-to-its-controller';
  }
}

const CONSEQUENCE_SENTENCE: Record<DeleteConsequence, (owner: ControllingOwner) => string> = {
  recreated: (owner) => ` Its ${owner.kind} will recreate it (a new pod, new name and UID).`,
  'recreated-same-name': (owner) => ` Its StatefulSet ${owner.name} will recreate it under the same name (new UID).`,
  'recreated-within-backoff-limit': (owner) =>
    ` Its ${owner.kind} counts it as a failed pod and creates a new one while failures stay within backoffLimit.`,
  'gone-for-good': () => ' It was a bare pod: nothing will recreate it.',
  'up-to-its-controller': (owner) => ` Whether it comes back is up to its controller ${owner.chain.at(-1) ?? owner.kind}.`,
};

const createPlan = (settings: DeletePodSettings) =>
  async function plan({ pod, target, owner, kube }: PlanContext) {
    if (pod.metadata?.deletionTimestamp) {
      return skipped(
        'already-terminating',
        `pod ${target.namespace}/${target.pod} is already being deleted (since ${new Date(pod.metadata.deletionTimestamp).toISOString()})`,
        { target },
      );
    }
    const shortfall = minReadyShortfall(pod, owner, settings.minReadyReplicas);
    if (shortfall) return skipped('min-ready-replicas', shortfall, { target });
    const uid = pod.metadata!.uid!;
    const warnings: string[] = [];
    if (owner.kind === 'Standalone') warnings.push('a bare pod: nothing recreates it, it is gone for good once deleted');
    const grace = settings.gracePeriodSeconds;
    const consequence = deleteConsequence(owner.kind);
    const what = `delete pod ${target.namespace}/${target.pod} (uid ${uid}${grace !== undefined ? `, grace ${grace} s` : ''}; owner ${owner.chain.slice(1).join(' → ') || 'none'})`;
    return {
      reason: 'delete',
      message: what,
      target,
      warnings,
      details: { owner: owner.chain.slice(1).join(' → ') || null, gracePeriodSeconds: grace ?? null, consequence },
      async execute() {
        const result = await kube.deletePod(target.namespace, target.pod, { uid, resourceVersion: pod.metadata?.resourceVersion }, grace);
        if (result === 'already-terminating') {
          return {
            decision: skipped(
              'already-terminating',
              `pod ${target.namespace}/${target.pod} started terminating after it was read (another instance or someone else deleted it)`,
              { target },
            ),
          };
        }
        if (result === 'already-gone')
          return { decision: skipped('already-gone', `pod ${target.namespace}/${target.pod} was already gone`, { target }) };
        if (result === 'replaced') {
          return {
            decision: skipped(
              'target-replaced',
              `pod ${target.namespace}/${target.pod} was recreated (new uid) after the alert; the UID precondition kept the new pod safe`,
              { target },
            ),
          };
        }
        const decision: Decision = acted('deleted', `deleted pod ${target.namespace}/${target.pod}`, {
          target,
          warnings,
          details: { consequence },
        });
        const note = `falco-response delete-pod deleted this pod.${CONSEQUENCE_SENTENCE[consequence](owner)}`;
        return {
          decision,
          event: {
            regarding: podRef(target, uid),
            reason: 'Deleted',
            action: 'Delete',
            note,
            annotations: { [CONSEQUENCE_ANNOTATION]: consequence },
          },
        };
      },
    };
  };

/** delete-pod configured with its settings (MIN_READY_REPLICAS, GRACE_PERIOD_SECONDS). */
export function deletePodSpecWith(settings: DeletePodSettings): ResponseFunctionSpec<'delete-pod'> {
  return {
    name: 'delete-pod',
    summary: 'Deletes the pod a Falco alert names (UID precondition, configurable grace period).',
    deployment: { rules: 'Terminal shell in container', minPriority: 'notice', openFaasCaller: 'openfaas-output' },
    actionEvent: { reason: 'Deleted', action: 'Delete' },
    rbacRules: [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }],
    plan: createPlan(settings),
    settings: {
      declarations: DELETE_POD_SETTINGS.declarations,
      configure: (reader) => deletePodSpecWith(DELETE_POD_SETTINGS.read(reader)),
    },
  };
}

export const deletePodSpec = deletePodSpecWith(DEFAULT_DELETE_POD_SETTINGS);
