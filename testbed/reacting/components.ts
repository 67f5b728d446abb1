// The components that make the API server react as a cluster does, each with its own identity
// (a static token of its own user, never the admin's), so the audit log tells their writes
// apart from the functions':
//   kube-controller-manager  as system:kube-controller-manager, and every controller as its own
//                            kube-system ServiceAccount (--use-service-account-credentials)
//   kube-scheduler           as system:kube-scheduler
//   kwok                     as testbed:kwok (nodes and the pod lifecycle a kubelet drives), and
//                            the nodes' "kubelet" endpoint for pods/log (its server on a loopback
//                            port: each node's InternalIP 127.0.0.1 and kubeletEndpoint that port)
// The first two users are bound to their roles by the API server's own bootstrap policy;
// kwok's role is testbed/reacting/kwok-rbac.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { repoRoot, type K8sBinaries } from '../cluster/binaries.ts';
import { kubeConfigFor, randomToken, writeKubeconfig, type StaticToken } from '../cluster/credentials.ts';
import { eventually, waitUntilReady } from '../cluster/probes.ts';
import type { Supervisor } from '../process/supervisor.ts';
import { createEmptyClusterLogs, installKwokLogsCrd } from '../kwok/logs-crd.ts';
import { freePort } from '../net/ports.ts';
import { KWOK_USER, kwokClusterRole, kwokClusterRoleBinding } from './kwok-rbac.ts';
import { createNodes, nodeIsReady } from './nodes.ts';

export interface ReactingOptions {
  /** Simulated nodes (default 2). */
  nodes?: number;
  /** Client rate limits of the controller-manager, the scheduler and kwok (default 100 QPS, burst 200). */
  qps?: number;
  burst?: number;
  /** --min-resync-period of the controller-manager: informers resync between it and twice it (default 5 s, so a resync happens within a test). */
  minResyncPeriod?: string;
  /** kwok's pod stage workers (its podPlayStageParallelism, default 4): what limits how fast thousands of pods start. */
  kwokPodParallelism?: number;
}

export interface ComponentIdentity {
  name: 'kube-controller-manager' | 'kube-scheduler' | 'kwok';
  token: StaticToken;
}

export const STAGES_FILE = join(repoRoot, 'testbed', 'kwok', 'stages.yaml');
/** Nodes kwok manages carry this annotation (--manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export function reactingIdentities(): ComponentIdentity[] {
  return [
    {
      name: 'kube-controller-manager',
      token: { token: randomToken(), user: 'system:kube-controller-manager', uid: 'kube-controller-manager', groups: [] },
    },
    { name: 'kube-scheduler', token: { token: randomToken(), user: 'system:kube-scheduler', uid: 'kube-scheduler', groups: [] } },
    { name: 'kwok', token: { token: randomToken(), user: KWOK_USER, uid: 'kwok', groups: [] } },
  ];
}

interface StartInput {
  cluster: { server: string; caData: string; adminToken: string; dataDir: string };
  identities: ComponentIdentity[];
  /** The API server's self-made apiserver.crt: its serving certificate followed by the CA that signed it. */
  caPemPath: string;
  /** The API server's service-account signing key. */
  serviceAccountKeyPath: string;
  options: ReactingOptions;
}

/** The stages, preceded by a KwokConfiguration when a setting differs from kwok's defaults. */
function kwokConfigFile(dataDir: string, options: ReactingOptions): string {
  if (options.kwokPodParallelism === undefined) return STAGES_FILE;
  const path = join(dataDir, 'kwok.yaml');
  // A configuration given here gets no defaults for the fields it leaves out: name kwok's (4).
  const configuration = [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokConfiguration',
    'options:',
    `  podPlayStageParallelism: ${options.kwokPodParallelism}`,
    `  nodePlayStageParallelism: ${options.kwokPodParallelism}`,
    '  nodeLeaseParallelism: 4',
    '  podsOnNodeSyncParallelism: 4',
    '---',
    '',
  ].join('\n');
  writeFileSync(path, configuration + readFileSync(STAGES_FILE, 'utf8'));
  return path;
}

/** Starts the three components, creates the nodes, and returns once a probe pod was scheduled and run. */
export async function startReactingComponents(procs: Supervisor, bins: K8sBinaries, input: StartInput): Promise<string[]> {
  const { cluster, options } = input;
  const qps = String(options.qps ?? 100);
  const burst = String(options.burst ?? 200);
  const kubeconfigOf = (name: ComponentIdentity['name']) => {
    const identity = input.identities.find((i) => i.name === name)!;
    return writeKubeconfig(join(cluster.dataDir, `${name}.kubeconfig`), cluster, identity.token.token);
  };
  const admin = kubeConfigFor(cluster, cluster.adminToken);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: kwokClusterRole() });
  await rbac.createClusterRoleBinding({ body: kwokClusterRoleBinding() });
  await installKwokLogsCrd(admin);
  await createEmptyClusterLogs(admin, cluster.dataDir);
  const kubeletPort = await freePort();

  const controllerManager = procs.start('kube-controller-manager', bins.controllerManager, [
    `--kubeconfig=${kubeconfigOf('kube-controller-manager')}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--controllers=*',
    '--use-service-account-credentials=true',
    `--root-ca-file=${input.caPemPath}`,
    `--service-account-private-key-file=${input.serviceAccountKeyPath}`,
    '--cluster-name=testbed',
    `--kube-api-qps=${qps}`,
    `--kube-api-burst=${burst}`,
    `--min-resync-period=${options.minResyncPeriod ?? '5s'}`,
  ]);
  const scheduler = procs.start('kube-scheduler', bins.scheduler, [
    `--kubeconfig=${kubeconfigOf('kube-scheduler')}`,
    '--leader-elect=false',
    '--secure-port=0',
    `--kube-api-qps=${qps}`,
    `--kube-api-burst=${burst}`,
  ]);
  const kwok = procs.start('kwok', bins.kwok, [
    `--kubeconfig=${kubeconfigOf('kwok')}`,
    `--config=${kwokConfigFile(cluster.dataDir, options)}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    '--cidr=10.244.0.1/16',
    // The API server reaches a node's kubelet at its InternalIP (--kubelet-preferred-address-types)
    // and kubeletEndpoint port: both kwok's server, which serves pods/log from Logs objects
    // (and an empty log from the ClusterLogs every-container for the others).
    '--node-ip=127.0.0.1',
    `--node-port=${kubeletPort}`,
    `--server-address=127.0.0.1:${kubeletPort}`,
    '--enable-crds=Logs,ClusterLogs',
    '--node-lease-duration-seconds=40',
  ]);

  const core = admin.makeApiClient(CoreV1Api);
  const nodes = await createNodes(core, options.nodes ?? 2);
  await waitUntilReady(kwok, 'managing the nodes (all Ready)', async () =>
    (await Promise.all(nodes.map((name) => nodeIsReady(core, name)))).every(Boolean),
  );
  // The serviceaccount controller runs once `default` has its `default` ServiceAccount.
  await waitUntilReady(controllerManager, 'running its controllers', async () => {
    await core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
    return true;
  });
  await probePod(core, () => [controllerManager, scheduler, kwok].find((p) => !p.isRunning())?.name);
  return nodes;
}

/** A pod in `default` scheduled and run by kwok: the whole chain works before any test relies on it. */
async function probePod(core: CoreV1Api, died: () => string | undefined): Promise<void> {
  const name = `testbed-probe-${randomToken().slice(0, 8)}`;
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10' }] },
    },
  });
  await eventually(
    'the probe pod to be scheduled and Running',
    async () => {
      const gone = died();
      if (gone) throw new Error(`${gone} exited`);
      const pod = await core.readNamespacedPod({ namespace: 'default', name });
      return pod.status?.phase === 'Running' && !!pod.spec?.nodeName;
    },
    60_000,
  );
  await core.deleteNamespacedPod({ namespace: 'default', name, gracePeriodSeconds: 0 });
}
