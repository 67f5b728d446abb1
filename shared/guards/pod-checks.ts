// Checks on the pod as the API server returns it, before anything is changed.
import type { V1Namespace, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { KEYS } from '../k8s/keys.ts';

/** Label or annotation `falco-response.dev/ignore: "true"` on a pod or its namespace: never touched. */
export const OPT_OUT_KEY = KEYS.ignore.key;
/** Annotation with an RFC 3339 time: ignored until then (e.g. while someone debugs the pod). */
export const IGNORE_UNTIL_KEY = KEYS.ignoreUntil.key;

function optOutOf(meta: V1ObjectMeta | undefined, what: string, now: Date): string | undefined {
  const labels = meta?.labels ?? {};
  const annotations = meta?.annotations ?? {};
  for (const [source, values] of [
    ['label', labels],
    ['annotation', annotations],
  ] as const) {
    const value = values[OPT_OUT_KEY];
    if (value !== undefined && value.toLowerCase() !== 'false') return `${what} carries the ${source} ${OPT_OUT_KEY}=${value}`;
  }
  const until = annotations[IGNORE_UNTIL_KEY];
  if (until !== undefined) {
    const time = Date.parse(until);
    // An unreadable time is honoured as an opt-out: the person who set it meant "leave it alone".
    if (Number.isNaN(time)) return `${what} carries ${IGNORE_UNTIL_KEY}=${until} (not a valid time; treated as ignore)`;
    if (time > now.getTime()) return `${what} is ignored until ${until} (${IGNORE_UNTIL_KEY})`;
  }
  return undefined;
}

export function optOutReason(pod: V1Pod, namespace: V1Namespace | undefined, now: Date = new Date()): string | undefined {
  return (
    optOutOf(pod.metadata, `pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, now) ??
    optOutOf(namespace?.metadata, `namespace ${pod.metadata?.namespace}`, now)
  );
}

function runtimeIdOf(containerID: string): string {
  // "containerd://6ac7d190134e…" → "6ac7d190134e…"
  return containerID.replace(/^[a-z0-9-]+:\/\//i, '').toLowerCase();
}

/**
 * Whether the pod still runs the container the alert saw. Falco prints the first 12 hex
 * digits of the container id. Pods that report no container statuses cannot tell: they
 * pass. Ephemeral containers count (`kubectl debug` shells are what such alerts catch).
 */
export function runsContainer(pod: V1Pod, containerId: string | undefined): boolean {
  if (!containerId || containerId === 'host') return true;
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const ids = statuses.map((s) => s.containerID).filter((id): id is string => Boolean(id));
  if (ids.length === 0) return true;
  const wanted = containerId.toLowerCase();
  return ids.some((id) => runtimeIdOf(id).startsWith(wanted));
}
