// What the functions' configuration reader accepts: the variables it reads and whether a
// given environment is valid, so manifests can be checked against the code, not a list.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTION_SPECS } from '../../packaging/rbac.ts';
import { readFunctionConfig, type FunctionConfig } from '../../shared/function-config.ts';

/** Every environment variable name readFunctionConfig looks at. */
export function configVariablesRead(): Set<string> {
  const read = new Set<string>();
  const recorder = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
    has(_target, name) {
      if (typeof name === 'string') read.add(name);
      return false;
    },
  });
  // Each function's own settings too (scale-to-zero's GITOPS_*).
  for (const spec of FUNCTION_SPECS) readFunctionConfig(recorder, false, spec);
  return read;
}

/**
 * The configuration a manifest's environment gives, read by the real reader. Secrets are
 * replaced by stand-ins (a token file that exists; a literal token), and no cluster is
 * configured, as in a unit test.
 */
export function configFromManifestEnv(env: Record<string, string>): FunctionConfig {
  const dir = mkdtempSync(join(tmpdir(), 'frf-config-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'stand-in-token\n');
  const resolved: Record<string, string> = { KUBECONFIG: join(dir, 'no-kubeconfig') };
  for (const [name, value] of Object.entries(env)) {
    if (name === 'AUTH_TOKEN_FILE') resolved[name] = tokenFile;
    else if (value.startsWith('valueFrom:')) resolved[name] = 'stand-in-token';
    else resolved[name] = value;
  }
  try {
    return readFunctionConfig(resolved);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the token is read at start-up
  }
}
