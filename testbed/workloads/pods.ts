// Pods on the reacting cluster, made and read as a user would: the scheduler places them, kwok
// runs them (testbed/kwok/stages.yaml), controllers make the ones workloads own.
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { eventually } from '../cluster/probes.ts';
import type { AdminApis } from './admin-apis.ts';

export const TEST_IMAGE = 'alpine:3.20';
/** kwok keeps a pod with this annotation "true" Running but not Ready. */
export const UNREADY_ANNOTATION = 'testbed.falco-response.dev/unready';
/**
 * Test pods stop within a second unless a test says otherwise: kwok honours the grace period
 * (a pod stays Terminating until its deletionTimestamp), and Kubernetes' default of 30 s
 * would make every deletion in the suite wait half a minute.
 */
export const TEST_GRACE_SECONDS = 1;

export interface PodOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The pod's own terminationGracePeriodSeconds (default TEST_GRACE_SECONDS). */
  terminationGracePeriodSeconds?: number;
  /** Created with the unready annotation: Running, never Ready. */
  unready?: boolean;
  /** Returns once created, without waiting for it to run. */
  noWait?: boolean;
  /** Bound to this node, past the scheduler (e.g. a node whose kubelet hangs: stuck-kubelet.ts). */
  nodeName?: string;
}

export function podSpec(options: Pick<PodOptions, 'terminationGracePeriodSeconds'> = {}): V1PodSpec {
  return {
    terminationGracePeriodSeconds: options.terminationGracePeriodSeconds ?? TEST_GRACE_SECONDS,
    containers: [{ name: 'app', image: TEST_IMAGE }],
  };
}

/** A bare pod as `kubectl run` makes it; returns it once scheduled and Running (container ids set). */
export async function createPod(api: AdminApis, namespace: string, name: string, options: PodOptions = {}): Promise<V1Pod> {
  const annotations = { ...options.annotations, ...(options.unready ? { [UNREADY_ANNOTATION]: 'true' } : {}) };
  const spec = { ...podSpec(options), ...(options.nodeName && { nodeName: options.nodeName }) };
  const metadata = { name, labels: options.labels ?? { run: name }, annotations };
  await api.core.createNamespacedPod({ namespace, body: { metadata, spec } });
  if (options.noWait) return api.core.readNamespacedPod({ namespace, name });
  return waitForPodRunning(api, namespace, name);
}

export function isRunning(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !pod.metadata?.deletionTimestamp &&
    (pod.status.containerStatuses ?? []).every((c) => !!c.containerID)
  );
}

export function isReady(pod: V1Pod): boolean {
  return isRunning(pod) && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function waitForPodRunning(api: AdminApis, namespace: string, name: string, timeoutMs = 60_000): Promise<V1Pod> {
  return eventually(
    `pod ${namespace}/${name} Running`,
    async () => {
      const pod = await podExists(api, namespace, name);
      return pod && isRunning(pod) ? pod : undefined;
    },
    timeoutMs,
  );
}

/** The container id as Falco prints it: the first 12 hex digits of the runtime's id. */
export function shortContainerId(pod: V1Pod, container = 'app'): string {
  const id = pod.status?.containerStatuses?.find((c) => c.name === container)?.containerID;
  if (!id) throw new Error(`pod ${pod.metadata?.name} has no container id for ${container}`);
  return id.replace(/^[a-z]+:\/\//, '').slice(0, 12);
}

export async function podExists(api: AdminApis, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await api.core.readNamespacedPod({ namespace, name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Waits until no pod of that name (and, if given, that UID) exists: gone for good, or replaced under its name. */
export async function waitForPodGone(api: AdminApis, namespace: string, name: string, uid?: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `pod ${namespace}/${name} gone`,
    async () => {
      const pod = await podExists(api, namespace, name);
      return !pod || (uid !== undefined && pod.metadata?.uid !== uid);
    },
    timeoutMs,
  );
}

export async function podsMatching(api: AdminApis, namespace: string, selector: Record<string, string>): Promise<V1Pod[]> {
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return (await api.core.listNamespacedPod({ namespace, labelSelector })).items;
}

export async function eventsIn(api: AdminApis, namespace: string) {
  return (await api.events.listNamespacedEvent({ namespace })).items;
}

/** Events recorded by the functions (not the controllers' own: SuccessfulCreate, Scheduled, ...). */
export async function functionEventsIn(api: AdminApis, namespace: string) {
  return (await eventsIn(api, namespace)).filter((event) => event.reportingController?.startsWith('falco-response.dev/'));
}
