// Git credentials from a mounted Secret (a folder with one file per key, as Kubernetes mounts
// it): `username` + `password` (a token as password, the way Git hosts take tokens over HTTPS)
// or `bearerToken`, the keys Flux's own Git Secrets use. Read at each push, so a rotated
// Secret is picked up without a restart; no function reads Secrets through the API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type GitCredentials = { username: string; password: string } | { bearerToken: string };

function keyOf(dir: string, key: string): string | undefined {
  try {
    return readFileSync(join(dir, key), 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The credentials in `dir`; throws a sentence naming what is missing. */
export function readGitCredentials(dir: string): GitCredentials {
  const bearerToken = keyOf(dir, 'bearerToken');
  if (bearerToken) return { bearerToken };
  const password = keyOf(dir, 'password');
  if (password) return { username: keyOf(dir, 'username') ?? 'git', password };
  throw new Error(`no Git credentials in ${dir}: expected a file "password" (with "username"), or "bearerToken"`);
}

/** How isomorphic-git presents them: basic auth through onAuth, a bearer token as a header. */
export function authOptions(credentials: GitCredentials | undefined) {
  if (!credentials) return {};
  if ('bearerToken' in credentials) return { headers: { Authorization: `Bearer ${credentials.bearerToken}` } };
  // No second try with the same credentials: a wrong token is reported, not repeated.
  return {
    onAuth: () => ({ username: credentials.username, password: credentials.password }),
    onAuthFailure: () => ({ cancel: true as const }),
  };
}
