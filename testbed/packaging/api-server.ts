// Plain requests to the test API server for the manifest checks: any object we ship, sent as
// it is (no client-side model that could drop or rename fields), with the query the test needs.
import { httpRequest } from '../net/http.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import type { Manifest } from './manifests.ts';

export interface ApiAnswer {
  status: number;
  body: Record<string, any>;
}

export async function apiRequest(
  cluster: ClusterCoords,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const answer = await httpRequest(new URL(path, cluster.server), {
    method,
    ca: Buffer.from(cluster.caData, 'base64'),
    headers: {
      authorization: `Bearer ${cluster.adminToken}`,
      accept: 'application/json',
      ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
    },
    body: payload,
    timeoutMs: 30_000,
  });
  let parsed: Record<string, any> = {};
  try {
    parsed = answer.body ? JSON.parse(answer.body) : {};
  } catch {
    parsed = { message: answer.body };
  }
  return { status: answer.status, body: parsed };
}

// Resource names of every kind we ship to an API server (no discovery needed).
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'batch/v1/CronJob': { plural: 'cronjobs', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'serving.knative.dev/v1/Service': { plural: 'services', namespaced: true },
  // The chart's other kinds (test/integration/packaging/chart-*.test.ts).
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'eventing.knative.dev/v1/Broker': { plural: 'brokers', namespaced: true },
  'eventing.knative.dev/v1/Trigger': { plural: 'triggers', namespaced: true },
  'monitoring.coreos.com/v1/PodMonitor': { plural: 'podmonitors', namespaced: true },
  'monitoring.coreos.com/v1/ServiceMonitor': { plural: 'servicemonitors', namespaced: true },
  'monitoring.coreos.com/v1/PrometheusRule': { plural: 'prometheusrules', namespaced: true },
};

/** The collection URL of a manifest's kind (where it is created) and its own URL. */
export function pathsOf(manifest: Manifest): { collection: string; item: string } {
  const resource = RESOURCES[`${manifest.apiVersion}/${manifest.kind}`];
  if (!resource) throw new Error(`no resource mapping for ${manifest.apiVersion} ${manifest.kind}`);
  const prefix = manifest.apiVersion.includes('/') ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
  const namespace = resource.namespaced ? `/namespaces/${manifest.metadata.namespace ?? 'default'}` : '';
  const collection = `${prefix}${namespace}/${resource.plural}`;
  return { collection, item: `${collection}/${manifest.metadata.name}` };
}

const FIELD_MANAGER = 'falco-response-packaging-tests';

/**
 * Server-side dry-run create with strict field validation: the API server decodes, defaults,
 * validates and admits the object exactly as for a real create, and stores nothing. If the
 * object already exists (another test created the same name), the same checks run as a
 * dry-run server-side apply over it.
 */
export async function dryRunCreate(cluster: ClusterCoords, manifest: Manifest): Promise<ApiAnswer & { as: 'create' | 'apply' }> {
  const { collection, item } = pathsOf(manifest);
  const created = await apiRequest(
    cluster,
    'POST',
    `${collection}?dryRun=All&fieldValidation=Strict&fieldManager=${FIELD_MANAGER}`,
    manifest,
  );
  if (!(created.status === 409 && created.body.reason === 'AlreadyExists')) return { ...created, as: 'create' };
  const applied = await apiRequest(
    cluster,
    'PATCH',
    `${item}?dryRun=All&fieldValidation=Strict&fieldManager=${FIELD_MANAGER}&force=true`,
    manifest,
    'application/apply-patch+yaml',
  );
  return { ...applied, as: 'apply' };
}

/** Creates or updates for real (server-side apply), as `kubectl apply --server-side` would. */
export async function apply(cluster: ClusterCoords, manifest: Manifest): Promise<ApiAnswer> {
  const { item } = pathsOf(manifest);
  const answer = await apiRequest(
    cluster,
    'PATCH',
    `${item}?fieldValidation=Strict&fieldManager=${FIELD_MANAGER}&force=true`,
    manifest,
    'application/apply-patch+yaml',
  );
  if (answer.status >= 300) throw new Error(`apply ${manifest.kind} ${manifest.metadata.name}: ${answer.status} ${answer.body.message}`);
  return answer;
}

export async function ensureNamespace(cluster: ClusterCoords, name: string): Promise<void> {
  const answer = await apiRequest(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (answer.status >= 300 && answer.status !== 409) throw new Error(`create namespace ${name}: ${answer.status} ${answer.body.message}`);
}
