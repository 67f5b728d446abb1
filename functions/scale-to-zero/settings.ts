// Settings only scale-to-zero reads (docs/configuration.md): what it does about a workload a
// GitOps tool manages, and the Git identity commit mode uses.
import type { EnvReader } from '../../shared/config/env-reader.ts';
import { setting, settingsGroup } from '../../shared/config/setting.ts';
import { readGitCredentials } from '../../shared/gitops/git-credentials.ts';
import { DEFAULT_ARGOCD_NAMESPACE } from '../../shared/gitops/owner.ts';

export const GITOPS_MODES = ['warn', 'suspend', 'commit'] as const;
export type GitOpsMode = (typeof GITOPS_MODES)[number];

export interface ScaleToZeroSettings {
  /** warn: scale and say GitOps scales it back; suspend: suspend the owner first; commit: replicas 0 in Git. */
  gitOpsMode: GitOpsMode;
  /** What commit mode does when it cannot commit: suspend the owner instead, or nothing more. */
  gitOpsFallback: 'suspend' | 'none';
  /** The mounted Secret holding the Git token (commit mode). */
  gitCredentialsDir: string | undefined;
  gitAuthor: { name: string; email: string };
  argoNamespace: string;
}

export const DEFAULT_SETTINGS: ScaleToZeroSettings = {
  gitOpsMode: 'warn',
  gitOpsFallback: 'suspend',
  gitCredentialsDir: undefined,
  gitAuthor: { name: 'falco-response', email: 'falco-response@falco-response.dev' },
  argoNamespace: DEFAULT_ARGOCD_NAMESPACE,
};

function readCredentialsDir(reader: EnvReader): string | undefined {
  const dir = reader.optionalString('GIT_CREDENTIALS_DIR');
  if (dir === undefined) return undefined;
  // Checked now so a missing mount stops the function at start-up, not at the first alert.
  try {
    readGitCredentials(dir);
  } catch (error) {
    reader.problem(`GIT_CREDENTIALS_DIR=${JSON.stringify(dir)}: ${(error as Error).message}`);
  }
  return dir;
}

export const SCALE_TO_ZERO_SETTINGS = settingsGroup(
  {
    gitOpsMode: setting.oneOf(
      'GITOPS_MODE',
      GITOPS_MODES,
      DEFAULT_SETTINGS.gitOpsMode,
      "scale-to-zero, for a workload Flux or Argo CD manages: `warn` (scale, and warn that the next sync scales it back), `suspend` (suspend the Flux Kustomization/HelmRelease or turn the Argo CD Application's automated sync off, then scale), `commit` (replicas 0 in the Flux Kustomization's Git repository, pushed, a reconciliation requested, and scale): [the three modes](gitops.md)",
    ),
    gitOpsFallback: setting.oneOf(
      'GITOPS_FALLBACK',
      ['suspend', 'none'],
      DEFAULT_SETTINGS.gitOpsFallback,
      'scale-to-zero, `GITOPS_MODE=commit`: when the commit cannot be made (push refused after retries, wrong credentials, repository unreachable, not a Flux Kustomization with a Git branch), `suspend` the owner instead, or `none` (the workload is scaled and the answer is an error saying GitOps will scale it back)',
    ),
    gitCredentialsDir: setting.custom(
      'GIT_CREDENTIALS_DIR',
      '(none)',
      'scale-to-zero, `GITOPS_MODE=commit`: the folder where a Secret with the Git token is mounted: files `username` + `password` (a token as password), or `bearerToken`; read at each push, checked at start-up',
      { kind: 'text' },
      readCredentialsDir,
    ),
    gitAuthorName: setting.text(
      'GIT_AUTHOR_NAME',
      DEFAULT_SETTINGS.gitAuthor.name,
      'scale-to-zero: author of the commits of `GITOPS_MODE=commit`',
    ),
    gitAuthorEmail: setting.text('GIT_AUTHOR_EMAIL', DEFAULT_SETTINGS.gitAuthor.email, 'scale-to-zero: author e-mail of those commits', {
      pattern: /^[^\s<>@]+@[^\s<>@]+$/,
      problem: 'not an e-mail address',
    }),
    argoNamespace: setting.text(
      'GITOPS_ARGOCD_NAMESPACE',
      DEFAULT_SETTINGS.argoNamespace,
      "scale-to-zero: where Argo CD's Applications are, for a workload whose tracking names no namespace",
      {
        pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        problem: 'not a namespace name',
      },
    ),
  },
  ({ gitAuthorName, gitAuthorEmail, ...values }, reader): ScaleToZeroSettings => {
    if (values.gitOpsMode === 'commit' && values.gitCredentialsDir === undefined) {
      reader.problem('GITOPS_MODE=commit needs GIT_CREDENTIALS_DIR: the folder where the Secret with the Git token is mounted');
    }
    return { ...values, gitAuthor: { name: gitAuthorName, email: gitAuthorEmail } };
  },
);
