// The real checking tools the packaging tests run: helm (scripts/build-helm.sh), promtool and
// shellcheck (scripts/fetch-debian-tools.sh), all cached outside the tree. `make test` installs
// them first; a missing one fails the test with the command that installs it (never a skip).
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { k8sCacheDir } from '../cluster/binaries.ts';
import { repoRoot } from './manifests.ts';

function versions(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'test/tools/versions.env'), 'utf8');
  return new Map([...text.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
}

export function toolVersion(name: 'HELM_VERSION' | 'KNATIVE_EVENTING_VERSION' | 'PROMETHEUS_OPERATOR_VERSION'): string {
  const value = versions().get(name);
  if (!value) throw new Error(`test/tools/versions.env sets no ${name}`);
  return value;
}

export function helmPath(): string {
  const path = join(k8sCacheDir(), `helm-${toolVersion('HELM_VERSION')}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`helm missing at ${path}; build it (first build ~4 min on 2 cores) with:\n  cd ${repoRoot} && ./scripts/build-helm.sh`);
  }
  return path;
}

/** Unpacks the Debian package on first use (about 30 s), then answers from the cache. */
export function debianToolPath(tool: 'promtool' | 'shellcheck'): string {
  const out = execFileSync(join(repoRoot, 'scripts/fetch-debian-tools.sh'), [tool], { encoding: 'utf8' });
  const path = out.trim().split(' ')[1];
  if (!path) throw new Error(`fetch-debian-tools.sh printed no path for ${tool}: ${out}`);
  return path;
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): ToolRun {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    input: options.input,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
