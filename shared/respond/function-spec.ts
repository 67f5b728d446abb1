// What each function declares next to its code: its name, what it does, the Kubernetes
// permissions it uses (the manifests are generated from these), and its plan for a pod.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { EnvReader } from '../config/env-reader.ts';
import type { Setting } from '../config/setting.ts';
import type { Evidence } from './evidence.ts';
import type { ControllingOwner } from '../guards/owner.ts';
import type { PodTarget } from '../guards/target.ts';
import type { EventToRecord, KubeClient } from '../k8s/kube-client.ts';
import type { PolicyRule } from '../k8s/policy-rule.ts';
import type { Decision, DecisionTarget } from './decision.ts';

export type { PolicyRule } from '../k8s/policy-rule.ts';

export interface PlanContext {
  alert: FalcoAlert;
  target: PodTarget;
  pod: V1Pod;
  namespace: V1Namespace | undefined;
  owner: ControllingOwner;
  evidence: Evidence;
  kube: KubeClient;
}

/** What the function would do; `execute` does it. Dry-run reports the plan and stops. */
export interface Plan {
  reason: string;
  message: string;
  target: DecisionTarget;
  details?: Record<string, unknown>;
  warnings?: string[];
  execute(): Promise<ExecutionResult>;
}

export interface ExecutionResult {
  decision: Decision;
  /** The Event to record on the object acted on, when something changed. */
  event?: Omit<EventToRecord, 'type'> & { type?: EventToRecord['type'] };
}

/** How the shipped manifests (stack.yml, knative/20-<name>.yaml) deploy a function by default. */
export interface FunctionDeployment {
  /** RULES as shipped: the Falco rule this function answers (Falcosidekick forwards every rule). */
  rules: string;
  /** MIN_PRIORITY as shipped. */
  minPriority: string;
  /**
   * How Falcosidekick reaches it on OpenFaaS: its OpenFaaS output, which can carry no token
   * (so stack.yml sets none and says why), or its webhook output with the shared token.
   */
  openFaasCaller: 'openfaas-output' | 'webhook-with-token';
}

export interface ResponseFunctionSpec<Name extends string = string> {
  /** Its folder under functions/, its Service, image and ServiceAccount name: a DNS label. */
  name: Name;
  summary: string;
  deployment: FunctionDeployment;
  /** Permissions this function's own code uses, beyond what the shared pipeline needs. */
  rbacRules: readonly PolicyRule[];
  /** The Event its action records (reason, action): also what a re-run records for an action a crashed attempt completed. */
  actionEvent: { reason: string; action: string };
  /** The plan for this pod, or a decision when there is nothing to do (already done, not applicable). */
  plan(context: PlanContext): Promise<Plan | Decision>;
  /** Settings only this function reads (delete-pod's GRACE_PERIOD_SECONDS, scale-to-zero's GITOPS_MODE). */
  settings?: FunctionSettings;
}

export interface FunctionSettings {
  /** What docs/configuration.md and the chart's values schema list for this function. */
  readonly declarations: readonly Setting<unknown>[];
  /** The spec configured with them (its rbacRules those of the configuration); read with the shared settings. */
  configure(reader: EnvReader): ResponseFunctionSpec<string>;
}

export function isPlan(value: Plan | Decision): value is Plan {
  return typeof (value as Plan).execute === 'function';
}
