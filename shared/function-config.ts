// A function's whole configuration, read from its environment and checked at once: the
// runtime's, the pipeline's guard rails, and the settings its own spec declares.
import { EnvReader, type Env } from './config/env-reader.ts';
import { readGuardConfig, type GuardConfig } from './config/guard-config.ts';
import { readRuntimeConfig, type RuntimeConfig } from './config/runtime-config.ts';
import { hasClusterCredentials } from './k8s/kube-config.ts';
import type { ResponseFunctionSpec } from './respond/function-spec.ts';

export interface FunctionConfig {
  runtime: RuntimeConfig;
  guards: GuardConfig;
  /** No cluster credentials at all: decisions are dry-runs made without reading the cluster. */
  offline: boolean;
  /** The function's spec configured with its own settings, when `spec` was given and has some. */
  spec?: ResponseFunctionSpec;
}

/** With `spec`, its own settings too (ResponseFunctionSpec.withSettings), checked with the rest. */
export function readFunctionConfig(env: Env, assumeCluster = false, spec?: ResponseFunctionSpec): FunctionConfig {
  const reader = new EnvReader(env);
  const runtime = readRuntimeConfig(reader);
  const guards = readGuardConfig(reader);
  const configured = spec?.withSettings?.(reader);
  const offline = !assumeCluster && !hasClusterCredentials(env as NodeJS.ProcessEnv);
  // Only a function that may write needs the budget; without its namespace it could never act.
  if (!offline && !guards.dryRun && guards.budget && guards.budget.namespace === undefined) {
    reader.problem('BUDGET=cluster needs the namespace of its Lease: set POD_NAMESPACE (or BUDGET_NAMESPACE), or BUDGET=off');
  }
  reader.throwIfProblems();
  return { runtime, guards: offline ? { ...guards, dryRun: true } : guards, offline, ...(configured && { spec: configured }) };
}
