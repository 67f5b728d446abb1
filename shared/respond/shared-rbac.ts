// Permissions the shared pipeline uses for every function: read the pod and its namespace
// (opt-out labels), follow the pod's controlling owners (owner-kind guard rails, evidence),
// record Events.
import type { PolicyRule } from './function-spec.ts';

export const SHARED_RBAC_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces', 'pods', 'replicationcontrollers'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['get'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];
