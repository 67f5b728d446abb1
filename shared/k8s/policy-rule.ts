// One RBAC rule as code declares it: the manifests (packaging/) are generated from these.
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Only these objects (namespaced rules in a Role, e.g. the budget's Leases). */
  resourceNames?: string[];
}
