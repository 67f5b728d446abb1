// Permissions the shared pipeline uses for every function: read the pod and its namespace
// (opt-out labels), follow the pod's controlling owners (owner-kind guard rails, evidence),
// record Events.
import { DEFAULT_BUDGET_LEASE, functionBudgetLease } from '../coordination/action-budget.ts';
import type { PolicyRule } from './function-spec.ts';

export const SHARED_RBAC_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces', 'pods', 'replicationcontrollers'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['get'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];

/**
 * Rules in the functions' own namespace only (a Role and RoleBinding, never a ClusterRole):
 * the cluster-wide action budget's Leases, by name — the shared one and the function's own
 * (BUDGET_LEASE=falco-response-budget-<fn>, the per-function option). get and patch (server-side apply) only:
 * the Leases are shipped with the manifests; a function never creates or deletes one.
 */
export function namespacedRbacRules(fn: string): PolicyRule[] {
  return [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [DEFAULT_BUDGET_LEASE, functionBudgetLease(fn)],
      verbs: ['get', 'patch'],
    },
  ];
}

/** The budget's Leases the manifests ship in the functions' namespace. */
export function budgetLeaseNames(functions: readonly string[]): string[] {
  return [DEFAULT_BUDGET_LEASE, ...functions.map(functionBudgetLease)];
}
