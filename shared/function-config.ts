// A function's whole configuration, read from its environment and checked at once: the
// runtime's, the pipeline's, the Kubernetes client's, the evidence capture's, and the settings
// its own spec declares.
import { EnvReader, type Env } from './config/env-reader.ts';
import { readRuntimeConfig, type RuntimeConfig } from './config/runtime-config.ts';
import { readEvidenceSettings, type EvidenceSettings } from './forensics/evidence-settings.ts';
import { hasClusterCredentials } from './k8s/kube-config.ts';
import { readKubeSettings, type KubeSettings } from './k8s/kube-settings.ts';
import type { ResponseFunctionSpec } from './respond/function-spec.ts';
import { readPipelineSettings, type PipelineSettings } from './respond/pipeline-settings.ts';

export interface FunctionConfig {
  runtime: RuntimeConfig;
  pipeline: PipelineSettings;
  kube: KubeSettings;
  /** What is kept before an action (shared/forensics/): read by the pipeline right before plan.execute(). */
  evidence: EvidenceSettings;
  /** No cluster credentials at all: decisions are dry-runs made without reading the cluster. */
  offline: boolean;
  /** The function's spec configured with its own settings, when `spec` was given and has some. */
  spec?: ResponseFunctionSpec;
}

/** With `spec`, its own settings too (ResponseFunctionSpec.settings), checked with the rest. */
export function readFunctionConfig(env: Env, assumeCluster = false, spec?: ResponseFunctionSpec): FunctionConfig {
  const reader = new EnvReader(env);
  const runtime = readRuntimeConfig(reader);
  const pipeline = readPipelineSettings(reader);
  const kube = readKubeSettings(reader);
  const evidence = readEvidenceSettings(reader);
  const configured = spec?.settings?.configure(reader);
  const offline = !assumeCluster && !hasClusterCredentials(env as NodeJS.ProcessEnv);
  // Only a function that may write needs the budget; without its namespace it could never act.
  if (!offline && !pipeline.dryRun && pipeline.budget && pipeline.budget.namespace === undefined) {
    reader.problem('BUDGET=cluster needs the namespace of its Lease: set POD_NAMESPACE (or BUDGET_NAMESPACE), or BUDGET=off');
  }
  reader.throwIfProblems();
  return {
    runtime,
    pipeline: offline ? { ...pipeline, dryRun: true } : pipeline,
    kube,
    evidence,
    offline,
    ...(configured && { spec: configured }),
  };
}
