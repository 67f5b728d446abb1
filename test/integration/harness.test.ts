// Proves the real-Kubernetes harness: the shared apiserver answers, identities and RBAC are
// real, every write lands in the audit log by the time the call returns, and a private
// cluster survives an apiserver restart with its data.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiException, AuthenticationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, VersionApi } from '@kubernetes/client-node';
import { countWrites, readAudit } from '../../testbed/cluster/audit.ts';
import { createTestNamespace, serviceAccountToken } from '../../testbed/cluster/accounts.ts';
import { k8sVersions } from '../../testbed/cluster/binaries.ts';
import { kubeConfigFor } from '../../testbed/cluster/credentials.ts';
import { startTestCluster, type ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';

const cluster = useCluster();

function coreAs(token: string, target: ClusterCoords = cluster): CoreV1Api {
  return kubeConfigFor(target, token).makeApiClient(CoreV1Api);
}

function saUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** A ServiceAccount that may only create/get ConfigMaps in its namespace. */
async function configMapWriter(namespace: string, name: string): Promise<string> {
  const rbac = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: `${name}-configmaps` },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: `${name}-configmaps` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-configmaps` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  return serviceAccountToken(cluster, namespace, name);
}

async function httpStatusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function portAcceptsConnections(server: string): Promise<boolean> {
  const { hostname, port } = new URL(server);
  return new Promise((done) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('shared test cluster', () => {
  it('answers with the pinned Kubernetes version', async () => {
    const version = await kubeConfigFor(cluster, cluster.adminToken).makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(k8sVersions().kubernetes);
  });

  it('writes an admin kubeconfig that client-node loads', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('admin');
    expect(review.status?.userInfo?.groups).toContain('system:masters');
  });

  it('creates a uniquely named namespace', async () => {
    const first = await createTestNamespace(cluster, 'Harness_NS');
    const second = await createTestNamespace(cluster, 'Harness_NS');
    expect(first).toMatch(/^harness-ns-[0-9a-f]{8}$/);
    expect(second).not.toBe(first);
    const ns = await coreAs(cluster.adminToken).readNamespace({ name: first });
    expect(ns.metadata?.name).toBe(first);
  });

  it('attributes a ServiceAccount write in the audit log as soon as the call returns', async () => {
    const namespace = await createTestNamespace(cluster, 'audit-sa');
    const token = await configMapWriter(namespace, 'responder');
    const since = Date.now();

    await coreAs(token).createNamespacedConfigMap({ namespace, body: { metadata: { name: 'evidence' }, data: { a: 'b' } } });

    const events = readAudit(cluster, { user: saUser(namespace, 'responder'), namespace, since });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      stage: 'ResponseComplete',
      level: 'Metadata',
      verb: 'create',
      user: { username: saUser(namespace, 'responder'), groups: expect.arrayContaining([`system:serviceaccounts:${namespace}`]) },
      objectRef: { resource: 'configmaps', namespace, name: 'evidence' },
      responseStatus: { code: 201 },
    });
    expect(countWrites(cluster, { user: saUser(namespace, 'responder'), namespace, succeededOnly: true })).toBe(1);
  });

  it('records a forbidden write with code 403', async () => {
    const namespace = await createTestNamespace(cluster, 'audit-403');
    const token = await configMapWriter(namespace, 'responder');

    const status = await httpStatusOf(coreAs(token).deleteNamespacedPod({ namespace, name: 'victim' }));

    expect(status).toBe(403);
    const [denied, ...rest] = readAudit(cluster, { user: saUser(namespace, 'responder'), namespace, verbs: ['delete'] });
    expect(rest).toHaveLength(0);
    expect(denied).toMatchObject({ verb: 'delete', objectRef: { resource: 'pods', name: 'victim' }, responseStatus: { code: 403 } });
    expect(countWrites(cluster, { user: saUser(namespace, 'responder'), namespace })).toBe(1);
    expect(countWrites(cluster, { user: saUser(namespace, 'responder'), namespace, succeededOnly: true })).toBe(0);
  });

  it('never lags: each of 20 consecutive writes is readable immediately', async () => {
    const namespace = await createTestNamespace(cluster, 'audit-lag');
    const core = coreAs(cluster.adminToken);
    for (let i = 0; i < 20; i++) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}` } } });
      expect(countWrites(cluster, { user: 'admin', namespace, verbs: ['create'], succeededOnly: true })).toBe(i + 1);
    }
  });

  it('ignores reads: only writes are audited', async () => {
    const namespace = await createTestNamespace(cluster, 'audit-reads');
    const core = coreAs(cluster.adminToken);
    await core.listNamespacedConfigMap({ namespace });
    await core.readNamespace({ name: namespace });
    // The controllers write in every new namespace (its default ServiceAccount, kube-root-ca.crt): count ours.
    expect(readAudit(cluster, { namespace, user: 'admin' })).toHaveLength(0);
  });
});

describe('private test cluster', () => {
  it('keeps its data across an apiserver restart on the same port, and cleans up on stop', async () => {
    const staticToken = 'static-reader-token-0123456789abcdef';
    const own = await startTestCluster({
      bare: true,
      extraTokens: [{ token: staticToken, user: 'reader', uid: 'reader-uid', groups: ['frf:readers'] }],
    });
    try {
      const review = await kubeConfigFor(own, staticToken).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      expect(review.status?.userInfo).toMatchObject({ username: 'reader', uid: 'reader-uid' });
      expect(review.status?.userInfo?.groups).toContain('frf:readers');

      const namespace = await createTestNamespace(own, 'restart');
      const admin = coreAs(own.adminToken, own);
      await admin.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'survivor' }, data: { k: 'v' } } });

      await own.stopApiServer();
      expect(await portAcceptsConnections(own.server)).toBe(false);
      // client-node 2.x reports a refused connection as fetch's TypeError('fetch failed') with a cause.
      await expect(admin.readNamespacedConfigMap({ namespace, name: 'survivor' })).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });

      await own.startApiServer();
      const survivor = await admin.readNamespacedConfigMap({ namespace, name: 'survivor' });
      expect(survivor.data).toEqual({ k: 'v' });
      // The audit log is appended to across restarts.
      expect(countWrites(own, { user: 'admin', namespace, verbs: ['create'] })).toBe(1);
    } finally {
      await own.stop();
    }
    await own.stop(); // idempotent
    expect(existsSync(own.dataDir)).toBe(false);
    expect(await portAcceptsConnections(own.server)).toBe(false);
  }, 180_000);
});
