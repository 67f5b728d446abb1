// Workloads created the way users create them (as `kubectl create deployment` and friends
// would): only the workload object is written, the controllers make the ReplicaSets and pods
// (ownerReferences included), the scheduler places them and kwok runs them.
import type { V1Deployment, V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { eventually } from '../cluster/probes.ts';
import type { AdminApis } from './admin-apis.ts';
import { isReady, isRunning, podSpec, podsMatching, UNREADY_ANNOTATION } from './pods.ts';

export interface WorkloadOptions {
  replicas?: number;
  /** Labels on the workload object (not its pods). */
  labels?: Record<string, string>;
  /** The pods' own terminationGracePeriodSeconds. */
  terminationGracePeriodSeconds?: number;
  /** Returns without waiting for the pods. */
  noWait?: boolean;
}

export interface Workload {
  name: string;
  /** The pods' labels (the workload's selector). */
  selector: Record<string, string>;
  /** Its pods, Running and Ready, oldest first. */
  pods: V1Pod[];
}

function template(selector: Record<string, string>, options: WorkloadOptions): V1PodTemplateSpec {
  return { metadata: { labels: selector }, spec: podSpec(options) };
}

/** Pods matching `selector`, not terminating, Ready (unless marked unready) and `count` of them. */
export async function waitForPods(
  api: AdminApis,
  namespace: string,
  selector: Record<string, string>,
  count: number,
  timeoutMs = 90_000,
): Promise<V1Pod[]> {
  return eventually(
    `${count} running pods ${JSON.stringify(selector)} in ${namespace}`,
    async () => {
      const pods = (await podsMatching(api, namespace, selector)).filter((pod) => !pod.metadata?.deletionTimestamp);
      const settled = pods.filter((pod) => (pod.metadata?.annotations?.[UNREADY_ANNOTATION] === 'true' ? isRunning(pod) : isReady(pod)));
      if (pods.length !== count || settled.length !== count) return undefined;
      return settled.sort(
        (a, b) =>
          String(a.metadata!.creationTimestamp).localeCompare(String(b.metadata!.creationTimestamp)) ||
          a.metadata!.name!.localeCompare(b.metadata!.name!),
      );
    },
    timeoutMs,
    250,
  );
}

export async function createDeployment(
  api: AdminApis,
  namespace: string,
  name: string,
  options: WorkloadOptions = {},
): Promise<Workload & { deployment: V1Deployment }> {
  const selector = { app: name };
  const replicas = options.replicas ?? 2;
  const deployment = await api.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: { replicas, selector: { matchLabels: selector }, template: template(selector, options) },
    },
  });
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, replicas);
  return { name, selector, pods, deployment };
}

export async function createStatefulSet(api: AdminApis, namespace: string, name: string, options: WorkloadOptions = {}): Promise<Workload> {
  const selector = { app: name };
  const replicas = options.replicas ?? 2;
  await api.apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: { replicas, serviceName: name, selector: { matchLabels: selector }, template: template(selector, options) },
    },
  });
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, replicas);
  return { name, selector, pods };
}

/** One pod per node. */
export async function createDaemonSet(
  api: AdminApis,
  namespace: string,
  name: string,
  nodeCount: number,
  options: WorkloadOptions = {},
): Promise<Workload> {
  const selector = { app: name };
  await api.apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: { selector: { matchLabels: selector }, template: template(selector, options) },
    },
  });
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, nodeCount);
  return { name, selector, pods };
}

/** A Job whose pods run until deleted (kwok never completes them): a long batch job. */
export async function createJob(
  api: AdminApis,
  namespace: string,
  name: string,
  options: WorkloadOptions & { backoffLimit?: number } = {},
): Promise<Workload> {
  const parallelism = options.replicas ?? 1;
  await api.batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: {
        parallelism,
        backoffLimit: options.backoffLimit ?? 6,
        template: { metadata: {}, spec: { ...podSpec(options), restartPolicy: 'Never' } },
      },
    },
  });
  // The label the Job controller puts on its pods.
  const selector = { 'batch.kubernetes.io/job-name': name };
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, parallelism);
  return { name, selector, pods };
}

export async function createReplicaSet(api: AdminApis, namespace: string, name: string, options: WorkloadOptions = {}): Promise<Workload> {
  const selector = { app: name };
  const replicas = options.replicas ?? 2;
  await api.apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: { name, labels: options.labels },
      spec: { replicas, selector: { matchLabels: selector }, template: template(selector, options) },
    },
  });
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, replicas);
  return { name, selector, pods };
}

export async function createReplicationController(
  api: AdminApis,
  namespace: string,
  name: string,
  options: WorkloadOptions = {},
): Promise<Workload> {
  const selector = { app: name };
  const replicas = options.replicas ?? 2;
  await api.core.createNamespacedReplicationController({
    namespace,
    body: { metadata: { name, labels: options.labels }, spec: { replicas, selector, template: template(selector, options) } },
  });
  const pods = options.noWait ? [] : await waitForPods(api, namespace, selector, replicas);
  return { name, selector, pods };
}

/** The Deployment's status once the controller caught up with its spec: `readyReplicas` of `replicas` ready. */
export async function waitForDeploymentReady(
  api: AdminApis,
  namespace: string,
  name: string,
  readyReplicas: number,
  timeoutMs = 90_000,
): Promise<V1Deployment> {
  return eventually(
    `Deployment ${namespace}/${name} with ${readyReplicas} ready replicas`,
    async () => {
      const d = await api.apps.readNamespacedDeployment({ namespace, name });
      const status = d.status ?? {};
      const settled =
        (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        (status.readyReplicas ?? 0) === readyReplicas &&
        (status.replicas ?? 0) === (d.spec?.replicas ?? 0);
      return settled ? d : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Marks a running pod unready (kwok flips its Ready condition) and waits until it is. */
export async function markUnready(api: AdminApis, namespace: string, pod: string): Promise<void> {
  const current = await api.core.readNamespacedPod({ namespace, name: pod });
  const patch = current.metadata?.annotations
    ? { op: 'add', path: `/metadata/annotations/${UNREADY_ANNOTATION.replace('/', '~1')}`, value: 'true' }
    : { op: 'add', path: '/metadata/annotations', value: { [UNREADY_ANNOTATION]: 'true' } };
  await api.core.patchNamespacedPod({ namespace, name: pod, body: [patch] });
  await eventually(`pod ${namespace}/${pod} unready`, async () => {
    const read = await api.core.readNamespacedPod({ namespace, name: pod });
    return read.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False');
  });
}

/** A Deployment made as a user makes it, and the name of its oldest pod (the one an alert will name). */
export async function createDeploymentWithPod(
  api: AdminApis,
  namespace: string,
  name: string,
  options: WorkloadOptions = {},
): Promise<Workload & { podName: string }> {
  const workload = await createDeployment(api, namespace, name, options);
  return { ...workload, podName: workload.pods[0]!.metadata!.name! };
}
