// For the bare API server only (startTestCluster({ bare: true }): the bench's time to
// remediation, the fault tests): builds by hand the objects a controller-manager and a
// kubelet would have made there, pods with container statuses, ReplicaSets owned by
// Deployments, and so on. On the reacting cluster, make workloads as users do
// (./controllers.ts, ./pods.ts) and let the controllers make the rest.
import { randomBytes } from 'node:crypto';
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';

export { adminApis, type AdminApis } from './admin-apis.ts';
import type { AdminApis } from './admin-apis.ts';

/** A container id as Falco prints it (12 hex digits) and as the kubelet reports it (64). */
export function newContainerId(): { short: string; full: string } {
  const full = randomBytes(32).toString('hex');
  return { short: full.slice(0, 12), full };
}

export interface PodOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  owner?: V1OwnerReference;
  containerId?: string;
  ready?: boolean;
}

/** Creates a pod and, as a kubelet would, reports its container running and ready. */
export async function createPod(api: AdminApis, namespace: string, name: string, options: PodOptions = {}): Promise<V1Pod> {
  const pod = await api.core.createNamespacedPod({
    namespace,
    body: {
      metadata: {
        name,
        labels: options.labels,
        annotations: options.annotations,
        ownerReferences: options.owner ? [options.owner] : undefined,
      },
      spec: { containers: [{ name: 'app', image: 'alpine:3.20' }] },
    },
  });
  if (!options.containerId) return pod;
  const now = new Date();
  return api.core.replaceNamespacedPodStatus({
    namespace,
    name,
    body: {
      ...pod,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', lastTransitionTime: now }],
        containerStatuses: [
          {
            name: 'app',
            image: 'alpine:3.20',
            imageID: 'docker.io/library/alpine@sha256:beefed',
            containerID: `containerd://${options.containerId}`,
            ready: options.ready !== false,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: now } },
          },
        ],
      },
    },
  });
}

function ownerRef(kind: string, apiVersion: string, name: string, uid: string): V1OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'alpine:3.20' }] },
});

/** Deployment → ReplicaSet → Pod, with ownerReferences and the Deployment's status as a controller would report it. */
export async function createDeploymentChain(
  api: AdminApis,
  namespace: string,
  name: string,
  options: { replicas?: number; readyReplicas?: number; labels?: Record<string, string>; containerId?: string; podReady?: boolean } = {},
) {
  const selector = { app: name };
  const replicas = options.replicas ?? 2;
  const deployment = await api.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: { replicas, selector: { matchLabels: selector }, template: template(selector) },
    },
  });
  if (options.readyReplicas !== undefined) {
    await api.apps.replaceNamespacedDeploymentStatus({
      namespace,
      name,
      body: { ...deployment, status: { replicas, readyReplicas: options.readyReplicas, availableReplicas: options.readyReplicas } },
    });
  }
  const replicaSetName = `${name}-5d8f7c9b6`;
  const replicaSet = await api.apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: {
        name: replicaSetName,
        labels: selector,
        ownerReferences: [ownerRef('Deployment', 'apps/v1', name, deployment.metadata!.uid!)],
      },
      spec: { replicas, selector: { matchLabels: selector }, template: template(selector) },
    },
  });
  const podName = `${replicaSetName}-x7k2p`;
  const pod = await createPod(api, namespace, podName, {
    labels: selector,
    owner: ownerRef('ReplicaSet', 'apps/v1', replicaSetName, replicaSet.metadata!.uid!),
    containerId: options.containerId,
    ready: options.podReady,
  });
  return { deployment, replicaSet, pod, podName };
}

export async function createStatefulSetPod(
  api: AdminApis,
  namespace: string,
  name: string,
  options: { replicas?: number; containerId?: string } = {},
) {
  const selector = { app: name };
  const statefulSet = await api.apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name },
      spec: { replicas: options.replicas ?? 3, serviceName: name, selector: { matchLabels: selector }, template: template(selector) },
    },
  });
  const podName = `${name}-0`;
  const pod = await createPod(api, namespace, podName, {
    labels: selector,
    owner: ownerRef('StatefulSet', 'apps/v1', name, statefulSet.metadata!.uid!),
    containerId: options.containerId,
  });
  return { statefulSet, pod, podName };
}

export async function createDaemonSetPod(api: AdminApis, namespace: string, name: string, options: { containerId?: string } = {}) {
  const selector = { app: name };
  const daemonSet = await api.apps.createNamespacedDaemonSet({
    namespace,
    body: { metadata: { name }, spec: { selector: { matchLabels: selector }, template: template(selector) } },
  });
  const podName = `${name}-abcde`;
  const pod = await createPod(api, namespace, podName, {
    labels: selector,
    owner: ownerRef('DaemonSet', 'apps/v1', name, daemonSet.metadata!.uid!),
    containerId: options.containerId,
  });
  return { daemonSet, pod, podName };
}

export async function podExists(api: AdminApis, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await api.core.readNamespacedPod({ namespace, name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

export async function eventsIn(api: AdminApis, namespace: string) {
  return (await api.events.listNamespacedEvent({ namespace })).items;
}
