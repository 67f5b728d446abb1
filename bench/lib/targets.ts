// What the benchmark starts, each one the same way (lib/launch.ts): the floor, the references
// and the functions: bundled (index.mjs, as shipped), fast start (start.cjs with V8 code
// caches) and unbundled (node + TypeScript + node_modules).
import { join } from 'node:path';
import { FLOOR_SERVER_SOURCE } from '../fixtures/floor-server.ts';
import { repoRoot } from './bundle-like-functions.ts';
import type { Builds } from './build.ts';
import type { Launchable } from './launch.ts';

export const floor: Launchable = { args: ['-e', FLOOR_SERVER_SOURCE] };

export function fastifyHello(builds: Builds): Launchable {
  return { args: [builds.fastifyHello] };
}

/**
 * The environment every function runs with here: its own ServiceAccount's kubeconfig, default
 * guard rails except the blast-radius limit (lifted so 200 deletes in a row all act), info logs.
 */
export function functionEnv(kubeconfig: string): Record<string, string> {
  return { KUBECONFIG: kubeconfig, POD_NAMESPACE: 'falco-response', MAX_ACTIONS: '1000000', LOG_LEVEL: 'info' };
}

export function bundled(builds: Builds, fn: string, env: Record<string, string>): Launchable {
  return { args: [join(builds.functionDir(fn), 'index.mjs')], env };
}

export function unbundled(fn: string, env: Record<string, string>): Launchable {
  return { args: [join(repoRoot, 'functions', fn, 'index.ts')], env, cwd: repoRoot };
}

export function fastStart(builds: Builds, fn: string, env: Record<string, string>): Launchable {
  return { args: [join(builds.functionDir(fn), 'start.cjs')], env };
}
