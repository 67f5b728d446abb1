// One change committed and pushed to a branch with a pure-JS Git client (the image stays
// Node-only): a fresh shallow clone, the edit, a commit, a push. A push the server refuses
// because the branch moved (someone committed meanwhile) is redone on a fresh fetch, so the
// result sits on top of their commit; never a force-push.
import * as fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { authOptions, type GitCredentials } from './git-credentials.ts';
import { GitFailure, type GitFailureKind } from './git-failure.ts';
import { gitHttpClient } from './git-http.ts';

export { GitFailure, type GitFailureKind };

export interface GitBranch {
  url: string;
  branch: string;
  credentials: GitCredentials | undefined;
  author: { name: string; email: string };
  /** Deadline of each Git HTTP request. */
  timeoutMs: number;
  /** Fresh fetches after a refused push, at most. */
  attempts: number;
}

export interface FileChange {
  files: { path: string; text: string }[];
  message: string;
}

export interface Pushed<T> {
  sha: string;
  attempts: number;
  result: T;
}

function classify(error: unknown, url: string): { kind: GitFailureKind; message: string } {
  const code = (error as { code?: string }).code;
  const status = (error as { data?: { statusCode?: number } }).data?.statusCode;
  if (code === 'UserCanceledError' || status === 401 || status === 403)
    return { kind: 'auth', message: `the Git server refused the credentials for ${url} (HTTP ${status ?? 401})` };
  if (code === 'PushRejectedError') return { kind: 'conflict', message: `the push to ${url} was rejected: the branch moved meanwhile` };
  if (code === 'GitPushError')
    return { kind: 'conflict', message: `the Git server refused the push to ${url}: ${(error as Error).message}` };
  if (code === 'HttpError') return { kind: 'rejected', message: `the Git server answered HTTP ${status} for ${url}` };
  if (code === 'NotFoundError') return { kind: 'rejected', message: `${url}: ${(error as Error).message}` };
  const name = (error as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError' || (error instanceof TypeError && /fetch failed/.test(error.message))) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'unreachable', message: `the Git repository ${url} is unreachable (${cause?.code ?? cause?.message ?? name})` };
  }
  return { kind: 'rejected', message: `Git operation on ${url} failed: ${(error as Error).message}` };
}

/**
 * Clones `target.branch`, lets `change` read the checkout and say what to write, commits and
 * pushes. `change` returning undefined means there is nothing to commit (already the case).
 * Only a moved branch is retried: refused credentials and an unreachable server are not
 * something a second fetch fixes, and a retry would only delay the alert's answer.
 */
export async function commitAndPush<T>(
  target: GitBranch,
  change: (dir: string) => (FileChange & { result: T }) | undefined,
): Promise<Pushed<T> | { unchanged: true; attempts: number }> {
  const http = gitHttpClient(target.timeoutMs);
  const auth = authOptions(target.credentials);
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'falco-response-git-'));
    try {
      await git.clone({ fs, http, dir, url: target.url, ref: target.branch, singleBranch: true, depth: 1, noTags: true, ...auth });
      let planned: ReturnType<typeof change>;
      try {
        planned = change(dir);
      } catch (error) {
        throw new GitFailure('edit', (error as Error).message, attempt);
      }
      if (!planned) return { unchanged: true, attempts: attempt };
      for (const file of planned.files) {
        await writeFile(join(dir, file.path), file.text);
        await git.add({ fs, dir, filepath: file.path });
      }
      const sha = await git.commit({ fs, dir, message: planned.message, author: target.author });
      await git.push({ fs, http, dir, remote: 'origin', ref: target.branch, ...auth });
      return { sha, attempts: attempt, result: planned.result };
    } catch (error) {
      if (error instanceof GitFailure) throw error;
      const failure = classify(error, target.url);
      if (failure.kind !== 'conflict' || attempt >= target.attempts)
        throw new GitFailure(failure.kind, `${failure.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, attempt);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
