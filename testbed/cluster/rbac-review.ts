// What the real API server's RBAC grants an identity, asked the way the identity itself
// would (SelfSubjectRulesReview) or as an admin (SubjectAccessReview).
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { kubeConfigFor } from './credentials.ts';
import type { ClusterCoords } from './control-plane.ts';

/** Everything a token may do in a namespace, as "group/resource:verb" strings ("…@name" for a rule limited to named objects). */
export async function grantedPermissions(cluster: ClusterCoords, token: string, namespace: string): Promise<Set<string>> {
  const review = await kubeConfigFor(cluster, token)
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectRulesReview({ body: { spec: { namespace } } });
  if (review.status?.incomplete) throw new Error(`incomplete rules review: ${review.status.evaluationError}`);
  const granted = new Set<string>();
  for (const rule of review.status?.resourceRules ?? []) {
    const names = rule.resourceNames ?? [];
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) {
          if (names.length > 0) for (const name of names) granted.add(`${group}/${resource}:${verb}@${name}`);
          else granted.add(`${group}/${resource}:${verb}`);
        }
      }
    }
  }
  return granted;
}

export async function subjectAllowed(
  cluster: ClusterCoords,
  subject: { user: string; groups: string[] },
  attributes: { verb: string; group: string; resource: string; namespace: string; subresource?: string },
): Promise<boolean> {
  const review = await kubeConfigFor(cluster, cluster.adminToken)
    .makeApiClient(AuthorizationV1Api)
    .createSubjectAccessReview({
      body: { spec: { ...subject, resourceAttributes: attributes } },
    });
  return review.status?.allowed === true;
}
