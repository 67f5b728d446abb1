// kwok's own identity: what a kubelet (node agent) writes, for the nodes and pods it simulates.
import type { V1ClusterRole, V1ClusterRoleBinding } from '@kubernetes/client-node';

export const KWOK_USER = 'testbed:kwok';

export function kwokClusterRole(): V1ClusterRole {
  return {
    metadata: { name: KWOK_USER },
    rules: [
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['nodes/status', 'pods/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      // kwok watches its Stage objects and others if their CRDs exist; without the CRDs it reads the --config file.
      { apiGroups: ['kwok.x-k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    ],
  };
}

export function kwokClusterRoleBinding(): V1ClusterRoleBinding {
  return {
    metadata: { name: KWOK_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: KWOK_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KWOK_USER }],
  };
}
