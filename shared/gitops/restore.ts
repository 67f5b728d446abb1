// restore for a workload scale-to-zero scaled: undoes its GitOps step, then puts the recorded
// replica count back. suspend → the owner resumed; commit → a new commit that takes the change
// back (never a force-push, never a history rewrite) and a Flux reconciliation; warn (or no
// GitOps step) → only the count. Run with the operator's credentials (the CLI's), not the function's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtReadVersion } from '../k8s/conflict.ts';
import type { KubeClient, ScalableKind } from '../k8s/kube-client.ts';
import { applicationRef, restoreAutomatedSync } from './argocd.ts';
import { fluxRef, requestReconcile, setFluxSuspended } from './flux.ts';
import { commitAndPush, type GitFailure } from './git-commit.ts';
import type { GitCredentials } from './git-credentials.ts';
import { describeOwner } from './owner.ts';
import {
  GITOPS_COMMIT_ANNOTATION,
  GITOPS_MODE_ANNOTATION,
  GITOPS_SUSPENDED_ANNOTATION,
  parseRecord,
  PREVIOUS_REPLICAS_ANNOTATION,
  type CommitRecord,
  type SuspendRecord,
} from './records.ts';
import { revertReplicas } from './replicas-edit.ts';

export interface RestoreOptions {
  /** A client with the operator's permissions: the workload, its scale, and the GitOps objects. */
  kube: KubeClient;
  kind: ScalableKind;
  namespace: string;
  name: string;
  /** For commit mode: who commits the revert, with which credentials. */
  git?: {
    credentials?: GitCredentials;
    author?: { name: string; email: string };
    /** Deadline of each Git HTTP request (default 10 s). */
    timeoutMs?: number;
    /** Fresh fetches after a push refused because the branch moved (default 3). */
    attempts?: number;
  };
}

export interface RestoreResult {
  /** The count put back. */
  replicas: number;
  /** The GitOps step undone: none (warn mode or no GitOps owner), suspend or commit. */
  mode: 'none' | 'suspend' | 'commit';
  /** suspend: what was resumed ("Flux Kustomization flux-system/apps"). */
  resumed?: string;
  /** commit: the commit that takes the change back, and the one it takes back. */
  revertCommit?: string;
  revertedCommit?: string;
  message: string;
}

export class RestoreProblem extends Error {}

/**
 * Restores a workload scale-to-zero scaled. Throws RestoreProblem when there is nothing
 * recorded to restore, and GitFailure (kind auth | conflict | unreachable | edit | rejected)
 * when the revert commit could not be pushed; in both cases nothing was scaled.
 */
export async function restoreScaledWorkload(options: RestoreOptions): Promise<RestoreResult> {
  const { kube, kind, namespace, name } = options;
  const workload = await kube.getWorkload(kind, namespace, name);
  if (!workload) throw new RestoreProblem(`${kind} ${namespace}/${name} does not exist`);
  const annotations = workload.metadata?.annotations ?? {};
  const previous = Number(annotations[PREVIOUS_REPLICAS_ANNOTATION]);
  if (annotations[PREVIOUS_REPLICAS_ANNOTATION] === undefined || !Number.isInteger(previous) || previous < 0) {
    throw new RestoreProblem(
      `${kind} ${namespace}/${name} has no ${PREVIOUS_REPLICAS_ANNOTATION} annotation: scale-to-zero did not scale it`,
    );
  }
  const mode = annotations[GITOPS_MODE_ANNOTATION];
  let result: Omit<RestoreResult, 'replicas' | 'message'> = { mode: 'none' };
  let said = '';
  if (mode === 'commit') {
    const record = parseRecord<CommitRecord>(annotations, GITOPS_COMMIT_ANNOTATION);
    if (!record) throw new RestoreProblem(`${kind} ${namespace}/${name} says commit mode but has no ${GITOPS_COMMIT_ANNOTATION} record`);
    const revert = await revertCommit(options, record);
    await requestReconcile(kube, fluxRef('GitRepository', record.gitRepository.namespace, record.gitRepository.name));
    await requestReconcile(kube, fluxRef('Kustomization', record.kustomization.namespace, record.kustomization.name));
    result = { mode: 'commit', revertCommit: revert, revertedCommit: record.sha };
    said = revert
      ? `; commit ${revert.slice(0, 12)} reverts ${record.sha.slice(0, 12)} in ${record.url}`
      : `; ${record.file} no longer held the change`;
  }
  // The count first, so a resumed owner that reconciles at once finds it already restored.
  await writeAtReadVersion({
    read: await kube.readScale(kind, namespace, name),
    attempts: FRESH_READ_ATTEMPTS,
    write: (scale) =>
      kube.replaceScale(kind, namespace, name, {
        metadata: { name, namespace, resourceVersion: scale.metadata!.resourceVersion! },
        spec: { replicas: previous },
      }),
    readAgain: () => kube.readScale(kind, namespace, name),
    settle: () => undefined,
  });
  if (mode === 'suspend') {
    const record = parseRecord<SuspendRecord>(annotations, GITOPS_SUSPENDED_ANNOTATION);
    if (!record)
      throw new RestoreProblem(`${kind} ${namespace}/${name} says suspend mode but has no ${GITOPS_SUSPENDED_ANNOTATION} record`);
    const { owner } = record;
    if (owner.tool === 'flux') await setFluxSuspended(kube, fluxRef(owner.kind, owner.namespace, owner.name), false);
    else if (record.automated) await restoreAutomatedSync(kube, applicationRef(owner.namespace, owner.name), record.automated);
    result = { mode: 'suspend', resumed: describeOwner(owner) };
    said = `; ${describeOwner(owner)} resumed`;
  }
  // The records go: the workload no longer is scaled down by falco-response.
  const records = {
    [PREVIOUS_REPLICAS_ANNOTATION]: null,
    [GITOPS_MODE_ANNOTATION]: null,
    [GITOPS_SUSPENDED_ANNOTATION]: null,
    [GITOPS_COMMIT_ANNOTATION]: null,
  };
  await writeAtReadVersion({
    read: await kube.getWorkload(kind, namespace, name),
    attempts: FRESH_READ_ATTEMPTS,
    write: (current) => kube.patchWorkloadAnnotations(kind, namespace, name, records, current!.metadata!.resourceVersion!),
    readAgain: () => kube.getWorkload(kind, namespace, name),
    settle: () => undefined,
  });
  return { ...result, replicas: previous, message: `restored ${kind} ${namespace}/${name} to ${previous} replicas${said}` };
}

// The workload's controllers write its status all the time: a write at a read resourceVersion
// can meet 409 with nobody else involved; read again and write again, a few times.
const FRESH_READ_ATTEMPTS = 5;

async function revertCommit(options: RestoreOptions, record: CommitRecord): Promise<string | undefined> {
  const target = { kind: options.kind, namespace: options.namespace, name: options.name };
  const pushed = await commitAndPush(
    {
      url: record.url,
      branch: record.branch,
      credentials: options.git?.credentials,
      author: options.git?.author ?? { name: 'falco-response', email: 'falco-response@falco-response.dev' },
      timeoutMs: options.git?.timeoutMs ?? 10_000,
      attempts: options.git?.attempts ?? 3,
    },
    (dir) => {
      const text = revertReplicas(dir, record, target);
      if (text === readFileSync(join(dir, record.file), 'utf8')) return undefined; // taken back already (by hand)
      return {
        files: [{ path: record.file, text }],
        message: `falco-response: restore ${options.kind} ${options.namespace}/${options.name}\n\nReverts the replicas change of commit ${record.sha} (scale-to-zero after a Falco alert).\n`,
        result: undefined,
      };
    },
  );
  return 'sha' in pushed ? pushed.sha : undefined;
}

export type { GitFailure };
