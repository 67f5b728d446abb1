// Settings only scale-to-zero reads (docs/configuration.md): what it does about a workload a
// GitOps tool manages, and the Git identity commit mode uses.
import type { EnvReader } from '../../shared/config/env-reader.ts';
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

export function readScaleToZeroSettings(reader: EnvReader): ScaleToZeroSettings {
  const gitOpsMode = reader.oneOf('GITOPS_MODE', GITOPS_MODES, DEFAULT_SETTINGS.gitOpsMode);
  const gitOpsFallback = reader.oneOf('GITOPS_FALLBACK', ['suspend', 'none'] as const, DEFAULT_SETTINGS.gitOpsFallback);
  const gitCredentialsDir = reader.optionalString('GIT_CREDENTIALS_DIR');
  if (gitOpsMode === 'commit') {
    if (gitCredentialsDir === undefined) reader.problem('GITOPS_MODE=commit needs GIT_CREDENTIALS_DIR: the folder where the Secret with the Git token is mounted');
    else {
      // Checked now so a missing mount stops the function at start-up, not at the first alert.
      try {
        readGitCredentials(gitCredentialsDir);
      } catch (error) {
        reader.problem(`GIT_CREDENTIALS_DIR=${JSON.stringify(gitCredentialsDir)}: ${(error as Error).message}`);
      }
    }
  }
  const email = reader.string('GIT_AUTHOR_EMAIL', DEFAULT_SETTINGS.gitAuthor.email);
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(email)) reader.problem(`GIT_AUTHOR_EMAIL=${JSON.stringify(email)}: not an e-mail address`);
  const argoNamespace = reader.string('GITOPS_ARGOCD_NAMESPACE', DEFAULT_SETTINGS.argoNamespace);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(argoNamespace)) reader.problem(`GITOPS_ARGOCD_NAMESPACE=${JSON.stringify(argoNamespace)}: not a namespace name`);
  return {
    gitOpsMode,
    gitOpsFallback,
    gitCredentialsDir,
    gitAuthor: { name: reader.string('GIT_AUTHOR_NAME', DEFAULT_SETTINGS.gitAuthor.name), email },
    argoNamespace,
  };
}
