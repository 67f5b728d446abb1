// The names every deployment manifest derives from a function's name. One place, so the
// Knative, OpenFaaS and pipeline-engine manifests (and their tests) agree on every name.

export { FUNCTION_NAMES, type FunctionName } from '../functions/index.ts';

/** Where the Knative Services (and their ServiceAccounts) live. */
export const KNATIVE_NAMESPACE = 'falco-response';
/** OpenFaaS Community Edition deploys functions here only. */
export const OPENFAAS_FUNCTION_NAMESPACE = 'openfaas-fn';
/** Secret holding the shared token callers present (key `token` on Knative; the key is the file name on OpenFaaS). */
export const AUTH_TOKEN_SECRET = 'falco-response-token';
/** OpenFaaS mounts each key of a function secret as /var/openfaas/secrets/<key>. */
export const OPENFAAS_AUTH_TOKEN_FILE = `/var/openfaas/secrets/${AUTH_TOKEN_SECRET}`;
/** Common label value on every object we ship (the same as packaging/rbac.ts's ClusterRoles). */
export const PART_OF = 'falco-response-functions';

/** Where Argo Events runs the example's Sensor, EventSource and Workflows (examples/argo/). */
export const ARGO_NAMESPACE = 'argo-events';

/**
 * The deployment paths that ship their own RBAC. Each has its own ClusterRole names, so
 * `kubectl delete -f` of one path's file never removes a role another path is bound to.
 */
export type RbacPath = 'knative' | 'openfaas' | 'argo';

export const serviceAccountName = (fn: string): string => `falco-response-${fn}`;
export const clusterRoleName = (fn: string, path: RbacPath): string => `falco-response-${path}-${fn}`;
/** Label on every generated RBAC object naming its path: what `kubectl delete -l` removes one path's RBAC by. */
export const RBAC_PATH_LABEL = 'falco-response.dev/rbac-path';
/** OpenFaaS CE: one role for the shared `default` ServiceAccount of openfaas-fn. */
export const OPENFAAS_CE_CLUSTER_ROLE = 'falco-response-openfaas-ce';
/** Image repository name (the registry prefix is the user's). */
export const imageName = (fn: string): string => `falco-${fn}`;
