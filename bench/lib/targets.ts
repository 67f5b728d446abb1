// What the benchmark starts, each one the same way (lib/launch.ts): the floor, the references
// and the functions: as shipped (start.cjs with its trained V8 code caches, what the image
// runs), the same bundle without its caches (a normal compile: what a missing or rejected
// cache costs) and unbundled (node + TypeScript + node_modules).
import { join } from 'node:path';
import { FLOOR_SERVER_SOURCE } from '../fixtures/floor-server.ts';
import { repoRoot } from './bundle-like-functions.ts';
import type { Builds } from './build.ts';
import type { Launchable } from './launch.ts';
import { shippedNodeArgs } from './entrypoint.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';

export const floor: Launchable = { args: ['-e', FLOOR_SERVER_SOURCE] };

export function fastifyHello(builds: Builds): Launchable {
  return { args: [builds.fastifyHello] };
}

/** delete-pod's own parts with fastify taken out (fixtures/plain-node-alert-server.ts), bundled like the functions. */
export function plainNodeAlertServer(builds: Builds, env: Record<string, string>): Launchable {
  return { args: [builds.plainNodeAlertServer], env };
}

/** The four calls delete-pod makes, made directly by a bare Node server on each POST {"namespace","pod"} (fixtures/direct-delete-server.ts), bundled like the functions. */
export function directDeleteServer(builds: Builds, kubeconfig: string): Launchable {
  return { args: [builds.directDeleteServer], env: { KUBECONFIG: kubeconfig } };
}

/**
 * The environment every function runs with here: its own ServiceAccount's kubeconfig, default
 * guard rails except the blast-radius limit (lifted so 200 deletes in a row all act), info logs.
 */
export function functionEnv(kubeconfig: string): Record<string, string> {
  // The cluster-wide budget is measured on its own (time to remediation, "with the budget"): off elsewhere.
  // So is evidence capture (bench/sections/evidence.ts): it needs a cluster whose nodes serve logs,
  // which the bare API server here has not.
  return {
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: 'falco-response',
    MAX_ACTIONS: '1000000',
    LOG_LEVEL: 'info',
    BUDGET: 'off',
    EVIDENCE: 'off',
  };
}

/** The image's entry point command (packaging/Dockerfile's ENTRYPOINT) on the bundle built here. */
export function shipped(builds: Builds, fn: string, env: Record<string, string>): Launchable {
  return { args: shippedNodeArgs(builds.functionDir(fn)), env };
}

/** As shipped, with the rules and minimum priority its generated manifests set (functions/<name>/spec.ts `deployment`). */
export function deployedEnv(spec: ResponseFunctionSpec, env: Record<string, string>): Record<string, string> {
  return { ...env, RULES: spec.deployment.rules, MIN_PRIORITY: spec.deployment.minPriority };
}

export function shippedWithoutCache(builds: Builds, fn: string, env: Record<string, string>): Launchable {
  return { args: shippedNodeArgs(builds.noCacheDir(fn)), env };
}

export function unbundled(fn: string, env: Record<string, string>): Launchable {
  return { args: [join(repoRoot, 'functions', fn, 'index.ts')], env, cwd: repoRoot };
}

/** The same function taking a slot of the cluster-wide action budget before each action; slots free after 1 s, so the bench's pace never uses it up. */
export function withBudget(env: Record<string, string>): Record<string, string> {
  return { ...env, BUDGET: 'cluster', BUDGET_MAX_ACTIONS: '200', BUDGET_WINDOW_SECONDS: '1' };
}
