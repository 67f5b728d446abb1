// scale-to-zero: scales the workload that owns the pod to 0 replicas through the scale
// subresource, so the pod is not simply recreated; the previous count is recorded on the
// workload so it can be restored.
import type { V1Scale } from '@kubernetes/client-node';
import { KubeError } from '../../shared/k8s/errors.ts';
import type { KubeClient, ScalableKind } from '../../shared/k8s/kube-client.ts';
import { acted, skipped, type Decision } from '../../shared/runtime/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { gitOpsManager } from './gitops.ts';

export const PREVIOUS_REPLICAS_ANNOTATION = 'falco-response.dev/previous-replicas';

// On a live cluster the workload's controller writes its status all the time (each write a new
// resourceVersion), so a precondition can fail with no other instance involved: each step reads
// again and retries a few times. A racing instance that scaled meanwhile shows as 0 replicas;
// every successful write happens once (the record once, the scale once).
const SCALE_CONFLICT_ATTEMPTS = 4;

async function retryOnConflict<T>(kube: KubeClient, kind: ScalableKind, namespace: string, name: string, first: V1Scale, write: (current: V1Scale) => Promise<T>): Promise<T | 'already-scaled'> {
  let current = first;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(current);
    } catch (error) {
      if (!(error instanceof KubeError && error.kind === 'conflict')) throw error;
      current = await kube.readScale(kind, namespace, name);
      if ((current.spec?.replicas ?? 0) === 0) return 'already-scaled';
      if (attempt >= SCALE_CONFLICT_ATTEMPTS) throw error;
    }
  }
}

async function scaleToZero(kube: KubeClient, kind: ScalableKind, namespace: string, name: string, scale: V1Scale, annotations: Record<string, string>): Promise<'scaled' | 'already-scaled'> {
  // First the record of what it was, with the resourceVersion read: a racing instance gets 409 here.
  const recorded = await retryOnConflict(kube, kind, namespace, name, scale, (current) =>
    kube.patchWorkloadAnnotations(kind, namespace, name, { ...annotations, [PREVIOUS_REPLICAS_ANNOTATION]: String(current.spec?.replicas ?? 0) }, current.metadata!.resourceVersion!),
  );
  if (recorded === 'already-scaled') return recorded;
  const scaled = await retryOnConflict(kube, kind, namespace, name, { ...scale, metadata: { ...scale.metadata, resourceVersion: recorded.metadata!.resourceVersion! } }, (current) =>
    kube.replaceScale(kind, namespace, name, { metadata: { name, namespace, resourceVersion: current.metadata!.resourceVersion! }, spec: { replicas: 0 } }),
  );
  return scaled === 'already-scaled' ? scaled : 'scaled';
}

async function plan({ target, owner, alert, kube }: PlanContext): Promise<Decision | Awaited<ReturnType<ResponseFunctionSpec['plan']>>> {
  if (!owner.scalable) {
    return skipped('not-scalable', `${owner.notScalable}. Use delete-pod (or isolate-pod to keep it for examination) for this pod.`, { target, details: { owner: owner.chain.slice(1).join(' → ') || null } });
  }
  const { kind, name, object } = owner.scalable;
  const workload = { namespace: target.namespace, pod: target.pod, kind, name };
  const scale = await kube.readScale(kind, target.namespace, name);
  const replicas = scale.spec?.replicas ?? 0;
  if (replicas === 0) return skipped('already-scaled', `${kind} ${target.namespace}/${name} is already at 0 replicas`, { target: workload });
  const gitOps = gitOpsManager(object);
  const warnings = gitOps ? [`managed by ${gitOps}`] : [];
  return {
    reason: 'scale-to-zero',
    message: `scale ${kind} ${target.namespace}/${name} from ${replicas} to 0 replicas (owner of pod ${target.pod})`,
    target: workload,
    warnings,
    details: { previousReplicas: replicas, chain: owner.chain.join(' → ') },
    async execute() {
      const annotations = {
        [PREVIOUS_REPLICAS_ANNOTATION]: String(replicas),
        'falco-response.dev/scaled-to-zero-at': new Date().toISOString(),
        'falco-response.dev/scaled-by-rule': alert.rule.slice(0, 1000),
        'falco-response.dev/scaled-for-alert-time': alert.timeText,
        'falco-response.dev/scaled-for-pod': target.pod,
      };
      const result = await scaleToZero(kube, kind, target.namespace, name, scale, annotations);
      if (result === 'already-scaled') return { decision: skipped('already-scaled', `${kind} ${target.namespace}/${name} was scaled to 0 meanwhile`, { target: workload }) };
      return {
        decision: acted('scaled-to-zero', `scaled ${kind} ${target.namespace}/${name} from ${replicas} to 0 replicas`, { target: workload, warnings, details: { previousReplicas: replicas } }),
        event: {
          regarding: { apiVersion: object.apiVersion ?? (kind === 'ReplicationController' ? 'v1' : 'apps/v1'), kind, name, namespace: target.namespace, uid: object.metadata?.uid },
          reason: 'ScaledToZero',
          action: 'Scale',
          type: gitOps ? ('Warning' as const) : ('Normal' as const),
          note: `falco-response scale-to-zero: ${replicas} → 0 replicas (previous count in annotation ${PREVIOUS_REPLICAS_ANNOTATION}); pod ${target.pod}.${gitOps ? ` WARNING: managed by ${gitOps}.` : ''}`,
        },
      };
    },
  };
}

export const scaleToZeroSpec: ResponseFunctionSpec = {
  name: 'scale-to-zero',
  summary: 'Scales the workload owning the pod a Falco alert names to 0 replicas, recording the previous count.',
  actionEvent: { reason: 'ScaledToZero', action: 'Scale' },
  rbacRules: [
    { apiGroups: [''], resources: ['replicationcontrollers'], verbs: ['patch'] },
    { apiGroups: [''], resources: ['replicationcontrollers/scale'], verbs: ['get', 'update'] },
    { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['patch'] },
    { apiGroups: ['apps'], resources: ['deployments/scale', 'replicasets/scale', 'statefulsets/scale'], verbs: ['get', 'update'] },
  ],
  plan,
};
