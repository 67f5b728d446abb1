// The Kubernetes permissions of each function, from the one source: the rules each
// function declares next to its code plus the shared pipeline's and evidence capture's. The Knative, OpenFaaS Pro
// and OpenFaaS CE manifests and the RBAC proofs are all made from these functions.
import type { V1ClusterRole } from '@kubernetes/client-node';
import { FUNCTIONS } from '../functions/index.ts';
import { scaleToZeroSpecWith } from '../functions/scale-to-zero/spec.ts';
import { DEFAULT_SETTINGS } from '../functions/scale-to-zero/settings.ts';
import { evidenceRbacRules } from '../shared/forensics/evidence-rbac.ts';
import { DEFAULT_EVIDENCE_NAMESPACE, type EvidenceSettings } from '../shared/forensics/evidence-settings.ts';
import type { PolicyRule, ResponseFunctionSpec } from '../shared/respond/function-spec.ts';
import { namespacedRbacRules, SHARED_RBAC_RULES } from '../shared/respond/shared-rbac.ts';

/** Every registered function (functions/index.ts), as the shipped manifests configure it. */
export const FUNCTION_SPECS = FUNCTIONS;

/**
 * scale-to-zero as each GITOPS_MODE configures it (the shipped manifests grant the default,
 * warn): its rules are the base ones plus that mode's (functions/scale-to-zero/spec.ts).
 */
export const SCALE_TO_ZERO_GITOPS_VARIANTS: readonly { variant: string; env: Record<string, string>; spec: ResponseFunctionSpec }[] = [
  { variant: 'suspend', env: { GITOPS_MODE: 'suspend' }, spec: scaleToZeroSpecWith({ ...DEFAULT_SETTINGS, gitOpsMode: 'suspend' }) },
  {
    variant: 'commit',
    env: { GITOPS_MODE: 'commit' },
    spec: scaleToZeroSpecWith({ ...DEFAULT_SETTINGS, gitOpsMode: 'commit', gitOpsFallback: 'suspend' }),
  },
  {
    variant: 'commit-no-fallback',
    env: { GITOPS_MODE: 'commit', GITOPS_FALLBACK: 'none' },
    spec: scaleToZeroSpecWith({ ...DEFAULT_SETTINGS, gitOpsMode: 'commit', gitOpsFallback: 'none' }),
  },
];

/** Rules merged and sorted: one rule per (apiGroup, resource) with its verbs, so equal permissions always print the same. */
export function normalizeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group}\u0000${resource}`;
        const verbs = verbsByResource.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        verbsByResource.set(key, verbs);
      }
    }
  }
  // Resources with the same group and verbs share one rule, as a person would write it.
  const grouped = new Map<string, PolicyRule>();
  // Code-unit order, so the core group ("") comes first, as people write it.
  for (const [key, verbs] of [...verbsByResource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [group, resource] = key.split('\u0000') as [string, string];
    const sortedVerbs = [...verbs].sort();
    const ruleKey = `${group}\u0000${sortedVerbs.join(',')}`;
    const rule = grouped.get(ruleKey) ?? { apiGroups: [group], resources: [], verbs: sortedVerbs };
    rule.resources.push(resource);
    grouped.set(ruleKey, rule);
  }
  return [...grouped.values()];
}

export type EvidenceRbacSettings = Pick<EvidenceSettings, 'mode' | 'namespace'>;

/** Evidence capture as the manifests ship it: EVIDENCE=logs (the default) in the default namespace. */
export const SHIPPED_EVIDENCE: EvidenceRbacSettings = { mode: 'logs', namespace: DEFAULT_EVIDENCE_NAMESPACE };

/**
 * Evidence capture's ClusterRole rules (list Events; get pods/log with EVIDENCE=logs), kept as
 * rules of their own after the others, never merged into them: the chart drops the pods/log
 * rule when a function's EVIDENCE is not `logs`.
 */
export function evidenceClusterRules(evidence: EvidenceRbacSettings = SHIPPED_EVIDENCE): PolicyRule[] {
  return normalizeRules(evidenceRbacRules(evidence).cluster);
}

/** Evidence capture's Role in the evidence namespace: create Secrets there, and nothing else anywhere. */
export function evidenceNamespacedRules(evidence: EvidenceRbacSettings = SHIPPED_EVIDENCE): PolicyRule[] {
  return normalizeRules(evidenceRbacRules(evidence).namespaced);
}

/** Everything one function may do: its own rules plus the shared pipeline's and evidence capture's. */
export function rulesFor(spec: ResponseFunctionSpec, evidence: EvidenceRbacSettings = SHIPPED_EVIDENCE): PolicyRule[] {
  return [...normalizeRules([...SHARED_RBAC_RULES, ...spec.rbacRules]), ...evidenceClusterRules(evidence)];
}

/** The union for OpenFaaS Community Edition, where every function runs as openfaas-fn:default. */
export function unionRules(specs: readonly ResponseFunctionSpec[] = FUNCTION_SPECS): PolicyRule[] {
  return [...normalizeRules(specs.flatMap((spec) => [...SHARED_RBAC_RULES, ...spec.rbacRules])), ...evidenceClusterRules()];
}

/** The ClusterRole of one function; the shipped manifests name it per path (packaging/names.ts), tests by default. */
export function clusterRoleFor(
  spec: ResponseFunctionSpec,
  name = `falco-response-${spec.name}`,
  evidence: EvidenceRbacSettings = SHIPPED_EVIDENCE,
): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'falco-response-functions' } },
    rules: rulesFor(spec, evidence),
  };
}

/** What one function may do in its own namespace only (its Role): the budget's Leases. */
export function namespacedRulesFor(spec: ResponseFunctionSpec): PolicyRule[] {
  return namespacedRbacRules(spec.name);
}

/** The namespaced rules of all functions in one (OpenFaaS CE's single identity): one rule per resource, every name. */
export function unionNamespacedRules(specs: readonly ResponseFunctionSpec[] = FUNCTION_SPECS): PolicyRule[] {
  const names = new Set(specs.flatMap((spec) => namespacedRulesFor(spec).flatMap((rule) => rule.resourceNames ?? [])));
  const [first] = namespacedRulesFor(specs[0]!);
  return [{ ...first!, resourceNames: [...names] }];
}

/** Each (apiGroup, resource, verb) a set of rules grants, as "group/resource:verb" strings ("…@name" for a rule limited to names): for comparing permissions exactly. */
export function permissionSet(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.add(`${group}/${resource}:${verb}@${name}`);
          else out.add(`${group}/${resource}:${verb}`);
        }
      }
    }
  }
  return [...out].sort();
}
