// What incident response needs to keep of a pod when it is changed or destroyed: carried in
// the answer, the log line and (short) the Event.
import type { V1Pod } from '@kubernetes/client-node';
import type { CaptureResult } from '../forensics/capture.ts';

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

/** What the decision says of the evidence kept before the action (details.evidenceRecord). */
export function evidenceRecordOf(captured: CaptureResult) {
  return {
    mode: captured.mode,
    /** The evidence Secret, `namespace/name`; absent when none could be stored. */
    secret: captured.stored ? `${captured.stored.namespace}/${captured.stored.name}` : undefined,
    result: captureResult(captured),
    missing: captured.missing,
    cut: captured.cut,
    durationMs: captured.durationMs,
  };
}

export type EvidenceRecordSummary = ReturnType<typeof evidenceRecordOf>;

/** complete: all of it stored; incomplete: stored without some of it; failed: nothing stored. */
export function captureResult(captured: CaptureResult): 'complete' | 'incomplete' | 'failed' {
  if (!captured.stored) return 'failed';
  return captured.missing.length > 0 ? 'incomplete' : 'complete';
}

/** The decision's warning when evidence is missing: the action went ahead without it. */
export function evidenceWarning(record: EvidenceRecordSummary): string | undefined {
  if (record.result === 'complete') return undefined;
  const missing = record.missing.join('; ');
  return record.result === 'failed'
    ? `evidence not kept (the action went ahead without it): ${missing}`
    : `evidence incomplete in Secret ${record.secret}: missing ${missing}`;
}

/** For the action's Event note: where the evidence is, and what it lacks. */
export function shortEvidenceRecord(record: EvidenceRecordSummary): string {
  const missing = record.missing.map((m) => m.slice(0, 120)).join('; ');
  if (record.result === 'failed') return `Evidence not kept: ${missing}`;
  return `Evidence kept in Secret ${record.secret}${record.result === 'incomplete' ? `, incomplete (missing ${missing})` : ''}`;
}
