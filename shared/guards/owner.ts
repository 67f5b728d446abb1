// Who controls a pod: follows controller ownerReferences Pod → ReplicaSet → Deployment,
// StatefulSet, ReplicationController; DaemonSet and Job are reported as not scalable.
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient, KubeObject, ScalableKind } from '../k8s/kube-client.ts';

export const OWNER_KINDS = [
  'Standalone',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'Other',
] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

export interface ControllingOwner {
  /** The kind as guard rails see it: Deployment when a ReplicaSet is itself owned by one. */
  kind: OwnerKind;
  name: string | undefined;
  /** The object to scale, when there is one. */
  scalable?: { kind: ScalableKind; name: string; object: KubeObject };
  /** Why it cannot be scaled, when it cannot. */
  notScalable?: string;
  /** The ReplicaSet between a pod and its Deployment, or the top object otherwise. */
  chain: string[];
}

function controllerRef(
  object: { metadata?: { ownerReferences?: Array<{ controller?: boolean; kind: string; name: string; apiVersion: string }> } } | undefined,
) {
  return object?.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

export async function resolveControllingOwner(pod: V1Pod, kube: KubeClient): Promise<ControllingOwner> {
  const namespace = pod.metadata!.namespace!;
  const ref = controllerRef(pod);
  const podName = `Pod/${pod.metadata?.name}`;
  if (!ref)
    return {
      kind: 'Standalone',
      name: undefined,
      notScalable: 'the pod has no controller (a bare pod): nothing to scale',
      chain: [podName],
    };
  const chain = [podName, `${ref.kind}/${ref.name}`];
  switch (ref.kind) {
    case 'ReplicaSet': {
      const replicaSet = await kube.getWorkload('ReplicaSet', namespace, ref.name);
      if (!replicaSet) return { kind: 'ReplicaSet', name: ref.name, notScalable: `its ReplicaSet ${ref.name} no longer exists`, chain };
      const parent = controllerRef(replicaSet);
      if (parent?.kind === 'Deployment') {
        const deployment = await kube.getWorkload('Deployment', namespace, parent.name);
        chain.push(`Deployment/${parent.name}`);
        if (!deployment)
          return { kind: 'Deployment', name: parent.name, notScalable: `its Deployment ${parent.name} no longer exists`, chain };
        return { kind: 'Deployment', name: parent.name, scalable: { kind: 'Deployment', name: parent.name, object: deployment }, chain };
      }
      if (parent) {
        chain.push(`${parent.kind}/${parent.name}`);
        return {
          kind: 'Other',
          name: parent.name,
          notScalable: `its ReplicaSet is controlled by ${parent.kind} ${parent.name}, which would undo a scale`,
          chain,
        };
      }
      return { kind: 'ReplicaSet', name: ref.name, scalable: { kind: 'ReplicaSet', name: ref.name, object: replicaSet }, chain };
    }
    case 'StatefulSet':
    case 'ReplicationController': {
      const object = await kube.getWorkload(ref.kind, namespace, ref.name);
      if (!object) return { kind: ref.kind, name: ref.name, notScalable: `its ${ref.kind} ${ref.name} no longer exists`, chain };
      return { kind: ref.kind, name: ref.name, scalable: { kind: ref.kind, name: ref.name, object }, chain };
    }
    case 'DaemonSet':
      return {
        kind: 'DaemonSet',
        name: ref.name,
        notScalable: `DaemonSet ${ref.name} runs one pod per node and has no replica count to scale`,
        chain,
      };
    case 'Job': {
      const job = await kube.getWorkload('Job', namespace, ref.name);
      const cron = controllerRef(job);
      if (cron?.kind === 'CronJob') {
        chain.push(`CronJob/${cron.name}`);
        return {
          kind: 'CronJob',
          name: cron.name,
          notScalable: `Job ${ref.name} (from CronJob ${cron.name}) is not scalable; suspend the CronJob or delete the pod`,
          chain,
        };
      }
      return { kind: 'Job', name: ref.name, notScalable: `Job ${ref.name} is not scalable; delete the pod or the Job instead`, chain };
    }
    default:
      return {
        kind: 'Other',
        name: ref.name,
        notScalable: `its controller ${ref.kind} ${ref.name} is not a kind this function scales`,
        chain,
      };
  }
}
