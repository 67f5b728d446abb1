// Namespaces and ServiceAccount tokens for tests, made as the admin.
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ClusterCoords } from './control-plane.ts';
import { kubeConfigFor } from './credentials.ts';
import { eventually } from './probes.ts';

function adminCoreApi(cluster: Pick<ClusterCoords, 'server' | 'caData' | 'adminToken'>): CoreV1Api {
  return kubeConfigFor(cluster, cluster.adminToken).makeApiClient(CoreV1Api);
}

function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A real ServiceAccount token (TokenRequest API, 1 h). Creates the ServiceAccount first if it
 * does not exist (the serviceaccount controller only makes each namespace's `default`).
 */
export async function serviceAccountToken(cluster: ClusterCoords, namespace: string, saName: string): Promise<string> {
  const core = adminCoreApi(cluster);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: saName } } });
  } catch (error) {
    if (statusCodeOf(error) !== 409) throw error;
  }
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: saName,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${saName} returned no token`);
  return token;
}

/**
 * Creates a namespace `<prefix>-<random>` as admin and returns its name. On the reacting
 * cluster it returns once the serviceaccount controller made its `default` ServiceAccount,
 * without which the ServiceAccount admission plugin refuses every pod.
 */
export async function createTestNamespace(cluster: ClusterCoords, prefix: string, labels?: Record<string, string>): Promise<string> {
  const cleanPrefix =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'test';
  const name = `${cleanPrefix}-${randomBytes(4).toString('hex')}`;
  const core = adminCoreApi(cluster);
  await core.createNamespace({ body: { metadata: { name, labels } } });
  if (cluster.reacting) {
    await eventually(
      `ServiceAccount ${name}/default`,
      async () => (await core.readNamespacedServiceAccount({ namespace: name, name: 'default' })) !== undefined,
      30_000,
      100,
    );
  }
  return name;
}
