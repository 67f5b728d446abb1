// commit mode: replicas 0 for the workload in the Git repository its Flux Kustomization
// deploys from, pushed, then a reconciliation requested the way `flux reconcile` does.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FalcoAlert } from '../../shared/alert/falco-alert.ts';
import type { KubeClient } from '../../shared/k8s/kube-client.ts';
import { GitFailure } from '../../shared/gitops/git-failure.ts';
import { readGitCredentials } from '../../shared/gitops/git-credentials.ts';
import { requestReconcile, servedRevision, type FluxGitSource } from '../../shared/gitops/flux.ts';
import type { CommitRecord } from '../../shared/gitops/records.ts';
import type { ScaleToZeroSettings } from './settings.ts';

/** Fresh fetches after a push refused because the branch moved. */
export const PUSH_ATTEMPTS = 3;
/** Deadline of each Git HTTP request. */
export const GIT_REQUEST_TIMEOUT_MS = 10_000;
/** How long to wait for source-controller to serve the new commit before asking the Kustomization to apply it. */
const SERVED_REVISION_WAIT_MS = 15_000;

export interface Workload {
  kind: string;
  namespace: string;
  name: string;
  pod: string;
}

export function commitMessage(workload: Workload, alert: FalcoAlert, previousReplicas: number): string {
  return [
    `falco-response: scale ${workload.kind} ${workload.namespace}/${workload.name} to 0 replicas`,
    '',
    `Falco alert "${alert.rule}" (${alert.priority}) on pod ${workload.namespace}/${workload.pod} at ${alert.timeText}${alert.uuid ? `, uuid ${alert.uuid}` : ''}.`,
    `It had ${previousReplicas} replicas. Revert this commit (or run the restore command) to bring it back.`,
    '',
  ].join('\n');
}

export async function commitZeroReplicas(
  source: FluxGitSource,
  settings: ScaleToZeroSettings,
  workload: Workload,
  alert: FalcoAlert,
  previousReplicas: number,
): Promise<CommitRecord & { attempts: number }> {
  let credentials: ReturnType<typeof readGitCredentials>;
  try {
    credentials = readGitCredentials(settings.gitCredentialsDir!);
  } catch (error) {
    throw new GitFailure('auth', (error as Error).message, 0);
  }
  // The Git client and the YAML editor load on the first commit: other alerts never pay for them.
  const [{ commitAndPush }, { editReplicas }] = await Promise.all([
    import('../../shared/gitops/git-commit.ts'),
    import('../../shared/gitops/replicas-edit.ts'),
  ]);
  const pushed = await commitAndPush(
    {
      url: source.url,
      branch: source.branch,
      credentials,
      author: settings.gitAuthor,
      timeoutMs: GIT_REQUEST_TIMEOUT_MS,
      attempts: PUSH_ATTEMPTS,
    },
    (dir) => {
      const edited = editReplicas(
        { root: dir, path: source.path, kind: workload.kind, namespace: workload.namespace, name: workload.name },
        0,
      );
      if (edited.edit.previous === 0) return undefined; // Git says 0 already: nothing to commit
      return {
        files: [{ path: edited.edit.file, text: edited.text }],
        message: commitMessage(workload, alert, previousReplicas),
        result: edited.edit,
      };
    },
  );
  if ('unchanged' in pushed)
    throw new GitFailure(
      'edit',
      `${source.url} (${source.branch}) already sets 0 replicas for ${workload.kind} ${workload.name}, yet the cluster runs it: Flux is not applying that path`,
      pushed.attempts,
    );
  return {
    ...pushed.result,
    url: source.url,
    branch: source.branch,
    sha: pushed.sha,
    attempts: pushed.attempts,
    kustomization: { namespace: source.kustomization.namespace, name: source.kustomization.name },
    gitRepository: { namespace: source.gitRepository.namespace, name: source.gitRepository.name },
  };
}

/**
 * `flux reconcile kustomization --with-source`: the GitRepository first, and once it serves the
 * commit, the Kustomization (asked earlier, it could apply the old revision once more).
 */
export async function reconcileCommit(
  kube: KubeClient,
  source: FluxGitSource,
  sha: string,
): Promise<{ requestedAt: string; served: boolean }> {
  const requestedAt = await requestReconcile(kube, source.gitRepository);
  const deadline = Date.now() + SERVED_REVISION_WAIT_MS;
  let served = false;
  while (Date.now() < deadline) {
    if ((await servedRevision(kube, source.gitRepository))?.endsWith(sha)) {
      served = true;
      break;
    }
    await sleep(250);
  }
  await requestReconcile(kube, source.kustomization);
  return { requestedAt, served };
}
