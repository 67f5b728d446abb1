// What incident response needs to keep of a pod when it is changed or destroyed: carried in
// the answer, the log line and (short) the Event.
import type { V1Pod } from '@kubernetes/client-node';

/** What incident response needs to keep when the pod is changed or destroyed. */
export function evidenceOf(pod: V1Pod) {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const controller = pod.metadata?.ownerReferences?.find((ref) => ref.controller);
  return {
    uid: pod.metadata?.uid,
    node: pod.spec?.nodeName,
    phase: pod.status?.phase,
    podIP: pod.status?.podIP,
    serviceAccount: pod.spec?.serviceAccountName,
    labels: pod.metadata?.labels ?? {},
    owner: controller ? `${controller.kind}/${controller.name}` : undefined,
    containers: (pod.spec?.containers ?? []).map((c) => {
      const status = statuses.find((s) => s.name === c.name);
      return {
        name: c.name,
        image: c.image,
        imageID: status?.imageID,
        containerID: status?.containerID,
        state: status?.state ? Object.keys(status.state).find((k) => (status.state as Record<string, unknown>)[k]) : undefined,
        restartCount: status?.restartCount,
      };
    }),
  };
}

export type Evidence = ReturnType<typeof evidenceOf>;

/** One line for a Kubernetes Event (1 KiB limit): where it ran and what it ran. */
export function shortEvidence(evidence: Evidence): string {
  const images = evidence.containers.map((c) => `${c.name}=${c.imageID || c.image}`).join(', ');
  return `node=${evidence.node ?? '-'} owner=${evidence.owner ?? 'none'} images: ${images}`;
}
