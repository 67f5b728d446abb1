// Reading and cleaning up the evidence Secrets, with the operator's credentials (the CLI) or
// the retention CronJob's: list (labels and the summary annotation only), read one, prune by age.
import type { V1Secret } from '@kubernetes/client-node';
import { KEYS } from '../k8s/keys.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { evidenceContentOf, evidenceRecordOf, isEvidenceSecret, type EvidenceRecord } from './evidence-record.ts';

export const EVIDENCE_SELECTOR = `${KEYS.evidence.key}=true`;

export interface EvidenceFilter {
  /** Only evidence about pods in this namespace. */
  podNamespace?: string;
  /** Only evidence about this pod (its name, in podNamespace). */
  podName?: string;
}

async function evidenceSecrets(kube: KubeClient, namespace: string, filter: EvidenceFilter = {}): Promise<V1Secret[]> {
  const selector = [EVIDENCE_SELECTOR, ...(filter.podNamespace ? [`${KEYS.evidencePodNamespace.key}=${filter.podNamespace}`] : [])].join(
    ',',
  );
  const list = await kube.listSecrets(namespace, selector);
  return list.items.filter(isEvidenceSecret).filter((s) => !filter.podName || evidenceRecordOf(s).summary.pod?.name === filter.podName);
}

/** The evidence kept, oldest first. */
export async function listEvidence(kube: KubeClient, namespace: string, filter: EvidenceFilter = {}): Promise<EvidenceRecord[]> {
  const records = (await evidenceSecrets(kube, namespace, filter)).map(evidenceRecordOf);
  return records.sort((a, b) => (a.summary.capturedAt ?? '').localeCompare(b.summary.capturedAt ?? ''));
}

/** One evidence object, decoded; undefined when there is none of that name (or it is not evidence). */
export async function readEvidence(kube: KubeClient, namespace: string, name: string) {
  const secret = await kube.getSecret(namespace, name);
  return secret && isEvidenceSecret(secret) ? { record: evidenceRecordOf(secret), content: evidenceContentOf(secret) } : undefined;
}

/**
 * Deletes the evidence created more than `olderThanMs` before `now`, by the API server's
 * creationTimestamp (not a time the function wrote); each delete has a UID precondition.
 */
export async function pruneEvidence(
  kube: KubeClient,
  namespace: string,
  olderThanMs: number,
  options: { now?: Date; dryRun?: boolean } = {},
) {
  const cutoff = (options.now ?? new Date()).getTime() - olderThanMs;
  const old = (await evidenceSecrets(kube, namespace)).filter((s) => new Date(s.metadata!.creationTimestamp!).getTime() < cutoff);
  const deleted: string[] = [];
  for (const secret of old) {
    if (!options.dryRun && (await kube.deleteSecret(namespace, secret.metadata!.name!, secret.metadata!.uid!)) === 'already-gone') continue;
    deleted.push(secret.metadata!.name!);
  }
  return { deleted, kept: (await evidenceSecrets(kube, namespace)).length - (options.dryRun ? deleted.length : 0) };
}
