// A real kube-apiserver + etcd on loopback, and, unless `bare`, the components that make it
// react as a cluster does: kube-controller-manager (every default controller, the garbage
// collector and the disruption controller among them), kube-scheduler and kwok's simulated
// nodes (testbed/reacting/). The bare mode stays for tests that stop and start the API server
// or want nothing else writing. Binaries from scripts/build-k8s.sh (testbed/cluster/binaries.ts).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../net/ports.ts';
import { httpRequest } from '../net/http.ts';
import { Supervisor } from '../process/supervisor.ts';
import { startReactingComponents, reactingIdentities, type ReactingOptions } from '../reacting/components.ts';
import { AUDIT_POLICY } from './audit.ts';
import { k8sBinaryPaths } from './binaries.ts';
import { randomToken, tokensCsv, writeKubeconfig, writeServiceAccountKey, type StaticToken } from './credentials.ts';
import { waitUntilReady } from './probes.ts';

/** Everything a test needs to talk to a cluster; plain data, so it can cross vitest processes. */
export interface ClusterCoords {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Base64 of the PEM bundle that signs the serving cert (kubeconfig `certificate-authority-data`). */
  caData: string;
  /** Bearer token of `admin` (group system:masters), from tokens.csv. */
  adminToken: string;
  /** Admin kubeconfig written in the temp dir. */
  kubeconfigPath: string;
  /** JSON lines, one audit event per write (Metadata level), written synchronously. */
  auditLogPath: string;
  /** The throwaway temp dir holding etcd data, certs, tokens, keys, logs. */
  dataDir: string;
  /** Whether controllers, scheduler and kwok nodes run (false: the API server alone). */
  reacting: boolean;
  /** Names of the simulated nodes (none when bare). */
  nodes: string[];
}

export interface TestCluster extends ClusterCoords {
  /** For fault tests: stops kube-apiserver only; etcd keeps the data. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Kills everything and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartTestClusterOptions {
  /** More identities for tokens.csv (e.g. `system:serviceaccount:<ns>:<sa>` with its groups). */
  extraTokens?: StaticToken[];
  /** kube-apiserver + etcd only: nothing schedules, garbage-collects or runs pods. */
  bare?: boolean;
  /** Sizes and rates of the reacting components (nodes, QPS, resync). */
  reacting?: ReactingOptions;
  /** More kube-apiserver flags (the bench raises its in-flight limits). */
  apiserverArgs?: string[];
}

export function coordsOf(cluster: ClusterCoords): ClusterCoords {
  const { server, caData, adminToken, kubeconfigPath, auditLogPath, dataDir, reacting, nodes } = cluster;
  return { server, caData, adminToken, kubeconfigPath, auditLogPath, dataDir, reacting, nodes };
}

export async function startTestCluster(opts: StartTestClusterOptions = {}): Promise<TestCluster> {
  const bins = k8sBinaryPaths();
  const reacting = !opts.bare;
  const dir = mkdtempSync(join(tmpdir(), 'frf-k8s-'));
  const procs = new Supervisor(dir);
  const stopOrder = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
  try {
    const [etcdPort, etcdPeerPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const paths = {
      etcdData: join(dir, 'etcd'),
      certDir: join(dir, 'certs'),
      tokens: join(dir, 'tokens.csv'),
      saKey: join(dir, 'sa.key'),
      auditPolicy: join(dir, 'audit-policy.yaml'),
      auditLog: join(dir, 'audit.log'),
      kubeconfig: join(dir, 'kubeconfig'),
    };
    const adminToken = randomToken();
    const components = reacting ? reactingIdentities() : [];
    writeFileSync(
      paths.tokens,
      tokensCsv([
        { token: adminToken, user: 'admin', uid: 'admin', groups: ['system:masters'] },
        ...components.map((c) => c.token),
        ...(opts.extraTokens ?? []),
      ]),
      { mode: 0o600 },
    );
    writeServiceAccountKey(paths.saKey);
    writeFileSync(paths.auditPolicy, AUDIT_POLICY);
    writeFileSync(paths.auditLog, ''); // exists from the start, so readAudit never races its creation

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = procs.start('etcd', bins.etcd, [
      '--name=default',
      `--data-dir=${paths.etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=default=${etcdPeerUrl}`,
      '--unsafe-no-fsync', // throwaway data: fsync only slows tests down
      '--log-level=warn',
    ]);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--advertise-address=127.0.0.1',
      `--cert-dir=${paths.certDir}`, // self-signed serving cert, reused across restarts
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${paths.saKey}`,
      `--service-account-signing-key-file=${paths.saKey}`,
      '--authorization-mode=RBAC',
      `--token-auth-file=${paths.tokens}`,
      // Bare: no controller-manager creates the `default` ServiceAccounts the admission plugin
      // requires of every pod. Reacting: on, as in a real cluster.
      ...(reacting ? [] : ['--disable-admission-plugins=ServiceAccount']),
      `--audit-policy-file=${paths.auditPolicy}`,
      `--audit-log-path=${paths.auditLog}`,
      '--audit-log-format=json',
      // The event is written before the response completes, so a test can read it right after the call.
      '--audit-log-mode=blocking',
      '--profiling=false',
      // pods/log goes to the node's InternalIP (kwok's server on 127.0.0.1, testbed/reacting/);
      // without --kubelet-certificate-authority the API server does not verify the kubelet's certificate.
      '--kubelet-preferred-address-types=InternalIP',
      ...(opts.apiserverArgs ?? []),
    ];
    const caPemPath = join(paths.certDir, 'apiserver.crt');
    const startApiServerProcess = async (): Promise<void> => {
      const proc = procs.start('kube-apiserver', bins.apiserver, apiserverArgs);
      await waitUntilReady(proc, 'ready (/readyz)', async () => {
        if (!existsSync(caPemPath)) return false; // written early in start-up
        const res = await httpRequest(`${server}/readyz`, {
          ca: readFileSync(caPemPath, 'utf8'),
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        return res.status === 200;
      });
    };

    await waitUntilReady(etcd, 'healthy (/health)', async () => {
      const res = await httpRequest(`${etcdUrl}/health`);
      return res.status === 200 && res.body.includes('"health":"true"');
    });
    await startApiServerProcess();

    const base = { server, caData: readFileSync(caPemPath).toString('base64'), adminToken };
    writeKubeconfig(paths.kubeconfig, base, adminToken);
    let nodes: string[] = [];
    if (reacting) {
      nodes = await startReactingComponents(procs, bins, {
        cluster: { ...base, dataDir: dir },
        identities: components,
        caPemPath,
        serviceAccountKeyPath: paths.saKey,
        options: opts.reacting ?? {},
      });
    }

    const coords: ClusterCoords = {
      ...base,
      kubeconfigPath: paths.kubeconfig,
      auditLogPath: paths.auditLog,
      dataDir: dir,
      reacting,
      nodes,
    };
    let stopping: Promise<void> | undefined;
    return {
      ...coords,
      async stopApiServer() {
        await procs.get('kube-apiserver')?.stop();
      },
      async startApiServer() {
        if (stopping) throw new Error('cluster is stopped');
        if (procs.get('kube-apiserver')?.isRunning()) return;
        await startApiServerProcess();
      },
      stop() {
        stopping ??= procs.stopAll(stopOrder);
        return stopping;
      },
    };
  } catch (error) {
    await procs.stopAll(stopOrder);
    throw error;
  }
}
