// delete-pod: deletes the pod the alert names, so the shell (or whatever ran) dies with it.
import type { V1Pod } from '@kubernetes/client-node';
import type { GuardConfig } from '../../shared/config/guard-config.ts';
import type { ControllingOwner } from '../../shared/guards/owner.ts';
import { acted, skipped, type Decision } from '../../shared/runtime/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Skips the delete when it would leave the owner with fewer ready replicas than MIN_READY_REPLICAS. */
export function minReadyShortfall(pod: V1Pod, owner: ControllingOwner, minReady: GuardConfig['minReadyReplicas']): string | undefined {
  if (!minReady || !owner.scalable) return undefined;
  const status = owner.scalable.object.status ?? {};
  const desired = Number(owner.scalable.object.spec?.replicas ?? 1);
  const readyNow = Number(status.readyReplicas ?? 0);
  const readyAfter = readyNow - (isReady(pod) ? 1 : 0);
  const required = 'count' in minReady ? minReady.count : Math.ceil((minReady.percent / 100) * desired);
  if (readyAfter >= required) return undefined;
  return `${owner.kind} ${owner.name} has ${readyNow} ready of ${desired}; deleting this pod would leave ${readyAfter}, below MIN_READY_REPLICAS=${'count' in minReady ? minReady.count : `${minReady.percent}%`} (${required})`;
}

async function plan({ pod, target, owner, config, kube }: PlanContext) {
  if (pod.metadata?.deletionTimestamp) {
    return skipped('already-terminating', `pod ${target.namespace}/${target.pod} is already being deleted (since ${new Date(pod.metadata.deletionTimestamp).toISOString()})`, { target });
  }
  const shortfall = minReadyShortfall(pod, owner, config.minReadyReplicas);
  if (shortfall) return skipped('min-ready-replicas', shortfall, { target });
  const uid = pod.metadata!.uid!;
  const warnings: string[] = [];
  if (owner.kind === 'Standalone') warnings.push('a bare pod: nothing recreates it, it is gone for good once deleted');
  const grace = config.gracePeriodSeconds;
  const what = `delete pod ${target.namespace}/${target.pod} (uid ${uid}${grace !== undefined ? `, grace ${grace} s` : ''}; owner ${owner.chain.slice(1).join(' → ') || 'none'})`;
  return {
    reason: 'delete',
    message: what,
    target,
    warnings,
    details: { owner: owner.chain.slice(1).join(' → ') || null, gracePeriodSeconds: grace ?? null },
    async execute() {
      const result = await kube.deletePod(target.namespace, target.pod, { uid, resourceVersion: pod.metadata?.resourceVersion }, grace);
      if (result === 'already-terminating') {
        return { decision: skipped('already-terminating', `pod ${target.namespace}/${target.pod} started terminating after it was read (another instance or someone else deleted it)`, { target }) };
      }
      if (result === 'already-gone') return { decision: skipped('already-gone', `pod ${target.namespace}/${target.pod} was already gone`, { target }) };
      if (result === 'replaced') {
        return { decision: skipped('target-replaced', `pod ${target.namespace}/${target.pod} was recreated (new uid) after the alert; the UID precondition kept the new pod safe`, { target }) };
      }
      const decision: Decision = acted('deleted', `deleted pod ${target.namespace}/${target.pod}`, { target, warnings });
      const gone = owner.kind === 'Standalone' ? ' It was a bare pod: nothing will recreate it.' : ` Its ${owner.kind} will recreate it.`;
      return { decision, event: { regarding: { apiVersion: 'v1', kind: 'Pod', name: target.pod, namespace: target.namespace, uid }, reason: 'Deleted', action: 'Delete', note: `falco-response delete-pod deleted this pod.${gone}` } };
    },
  };
}

export const deletePodSpec: ResponseFunctionSpec = {
  name: 'delete-pod',
  summary: 'Deletes the pod a Falco alert names (UID precondition, configurable grace period).',
  rbacRules: [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }],
  plan,
};
