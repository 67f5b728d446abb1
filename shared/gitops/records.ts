// What a GitOps mode did, recorded on the workload beside the previous replica count, so that
// restore can undo exactly that (and a person reading the workload sees it).
import { KEYS } from '../k8s/keys.ts';
import type { GitOpsOwner } from './owner.ts';
import type { ReplicasEdit } from './replicas-edit.ts';

export const PREVIOUS_REPLICAS_ANNOTATION = KEYS.previousReplicas.key;
export const GITOPS_MODE_ANNOTATION = KEYS.gitopsMode.key;
/** JSON of a SuspendRecord. */
export const GITOPS_SUSPENDED_ANNOTATION = KEYS.gitopsSuspended.key;
/** JSON of a CommitRecord. */
export const GITOPS_COMMIT_ANNOTATION = KEYS.gitopsCommit.key;

export interface SuspendRecord {
  owner: GitOpsOwner;
  /** Argo CD: the automated sync policy that was turned off, to be put back. */
  automated?: Record<string, unknown>;
}

export interface CommitRecord extends ReplicasEdit {
  url: string;
  branch: string;
  sha: string;
  kustomization: { namespace: string; name: string };
  gitRepository: { namespace: string; name: string };
}

export function parseRecord<T>(annotations: Record<string, string>, key: string): T | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`annotation ${key} is not the JSON falco-response wrote: ${text.slice(0, 200)}`);
  }
}
