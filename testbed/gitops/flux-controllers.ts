// Flux's own source-controller and kustomize-controller (scripts/build-flux.sh) against the
// test API server, each as its own ServiceAccount with the permissions Flux's install gives it
// (source-controller its CRDs, Secrets read, Events; kustomize-controller cluster-admin, as
// Flux's cluster-reconciler binding). They watch only their own namespace
// (--watch-all-namespaces=false), so the objects of one test file are theirs alone.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { createTestNamespace, serviceAccountToken } from '../cluster/accounts.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { kubeConfigFor, writeKubeconfig } from '../cluster/credentials.ts';
import { waitUntilReady } from '../cluster/probes.ts';
import { httpRequest } from '../net/http.ts';
import { freePorts } from '../net/ports.ts';
import { Supervisor, type ServerProcess } from '../process/supervisor.ts';
import { installGitOpsCrds } from './crds.ts';
import { fluxArtifacts } from './flux-binaries.ts';

export interface FluxControllers {
  /** Where the GitRepositories and Kustomizations go (the controllers' RUNTIME_NAMESPACE). */
  namespace: string;
  sourceController: ServerProcess;
  kustomizeController: ServerProcess;
  stop(): Promise<void>;
}

const SOURCE_CONTROLLER_ROLE = {
  metadata: { name: 'testbed-flux-source-controller' },
  rules: [
    { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['*'], verbs: ['*'] },
    { apiGroups: [''], resources: ['secrets', 'configmaps', 'serviceaccounts'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['*'] },
  ],
};

async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

async function bind(cluster: ClusterCoords, namespace: string, account: string, clusterRole: string): Promise<void> {
  const rbac = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(RbacAuthorizationV1Api);
  await ensure(() =>
    rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `testbed-${namespace}-${account}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
      },
    }),
  );
}

function readyProbe(port: number) {
  return async () => (await httpRequest(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 2000 })).status === 200;
}

export async function startFluxControllers(cluster: ClusterCoords): Promise<FluxControllers> {
  const bins = fluxArtifacts();
  await installGitOpsCrds(cluster);
  const namespace = await createTestNamespace(cluster, 'flux-system');
  const rbac = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(RbacAuthorizationV1Api);
  await ensure(() => rbac.createClusterRole({ body: SOURCE_CONTROLLER_ROLE }));
  await bind(cluster, namespace, 'source-controller', SOURCE_CONTROLLER_ROLE.metadata.name);
  await bind(cluster, namespace, 'kustomize-controller', 'cluster-admin');
  const dir = mkdtempSync(join(tmpdir(), 'frf-flux-'));
  const procs = new Supervisor(dir);
  mkdirSync(join(dir, 'storage')); // source-controller refuses a storage path that does not exist
  const kubeconfig = async (account: string) =>
    writeKubeconfig(join(dir, `${account}.kubeconfig`), cluster, await serviceAccountToken(cluster, namespace, account));
  const [scMetrics, scHealth, storage, kcMetrics, kcHealth] = await freePorts(5);
  const common = (metrics: number, health: number) => [
    '--watch-all-namespaces=false',
    `--metrics-addr=127.0.0.1:${metrics}`,
    `--health-addr=127.0.0.1:${health}`,
    '--log-level=info',
    '--requeue-dependency=5s',
  ];
  const sourceController = procs.start(
    'source-controller',
    bins.sourceController,
    [
      ...common(scMetrics!, scHealth!),
      `--storage-path=${join(dir, 'storage')}`,
      `--storage-addr=127.0.0.1:${storage}`,
      `--storage-adv-addr=127.0.0.1:${storage}`,
    ],
    { KUBECONFIG: await kubeconfig('source-controller'), RUNTIME_NAMESPACE: namespace },
  );
  const kustomizeController = procs.start('kustomize-controller', bins.kustomizeController, common(kcMetrics!, kcHealth!), {
    KUBECONFIG: await kubeconfig('kustomize-controller'),
    RUNTIME_NAMESPACE: namespace,
  });
  try {
    await waitUntilReady(sourceController, 'ready', readyProbe(scHealth!));
    await waitUntilReady(kustomizeController, 'ready', readyProbe(kcHealth!));
  } catch (error) {
    await procs.stopAll();
    throw error;
  }
  return { namespace, sourceController, kustomizeController, stop: () => procs.stopAll(['kustomize-controller', 'source-controller']) };
}
