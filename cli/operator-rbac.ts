// What the commands use, for the ClusterRole falco-response-operator the generator ships (the
// people on call bind it). Declared per command beside what it reads and writes.
import type { PolicyRule } from '../shared/respond/function-spec.ts';

const workloads = (verbs: string[]): PolicyRule[] => [
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'replicasets'], verbs },
  { apiGroups: [''], resources: ['replicationcontrollers'], verbs },
];

export const OPERATOR_RULES_BY_COMMAND: Record<string, readonly PolicyRule[]> = {
  status: [
    { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list'] },
    ...workloads(['list']),
  ],
  release: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'delete'] },
  ],
  // shared/gitops/restore.ts: the workload, its scale and the GitOps objects it resumes or reconciles.
  restore: [
    ...workloads(['get', 'patch']),
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update'] },
    { apiGroups: [''], resources: ['replicationcontrollers/scale'], verbs: ['get', 'update'] },
    // One rule per group: a rule grants every listed resource in every listed group.
    { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['get', 'patch'] },
    { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: ['get', 'patch'] },
    { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories'], verbs: ['get', 'patch'] },
    { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'patch'] },
  ],
  // Evidence Secrets: in practice a Role in the evidence namespace (operatorEvidenceRole), not cluster-wide.
  evidence: [],
  everyWrite: [
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
  ],
};

/** The ClusterRole's rules: every command's. */
export const OPERATOR_CLUSTER_RULES: readonly PolicyRule[] = Object.values(OPERATOR_RULES_BY_COMMAND).flat();

/** The Role in the evidence namespace: read and prune the evidence Secrets (status, evidence). */
export const OPERATOR_EVIDENCE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'delete'] },
];
