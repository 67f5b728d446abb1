// A real kube-apiserver + etcd on loopback for integration tests, with no other control-plane
// component (no controller-manager: nothing garbage-collects, schedules or creates default
// ServiceAccounts). Binaries come from scripts/build-k8s.sh; versions from test/k8s/versions.env.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, accessSync, constants as fsConstants, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const BUILD_COMMAND = 'bash scripts/build-k8s.sh';
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

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
}

export interface TestCluster extends ClusterCoords {
  /** For fault tests: stops kube-apiserver only; etcd keeps the data. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Kills everything and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StaticToken {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

export interface StartTestClusterOptions {
  /** More identities for tokens.csv (e.g. `system:serviceaccount:<ns>:<sa>` with its groups). */
  extraTokens?: StaticToken[];
}

/** The subset of an audit.k8s.io/v1 Event the tests look at. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups?: string[] };
  impersonatedUser?: { username: string; groups?: string[] };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number; status?: string; reason?: string; message?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

export interface AuditFilter {
  user?: string;
  namespace?: string;
  verbs?: string[];
  resource?: string;
  /** Epoch milliseconds; keeps events whose request was received at or after it. */
  since?: number;
}

export interface WriteFilter extends AuditFilter {
  /** Count only writes that succeeded (responseStatus.code < 300). */
  succeededOnly?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Binaries

export function k8sVersions(): { kubernetes: string; etcd: string } {
  const env = parseEnvFile(join(repoRoot, 'test', 'k8s', 'versions.env'));
  const kubernetes = env.get('KUBERNETES_VERSION');
  const etcd = env.get('ETCD_VERSION');
  if (!kubernetes || !etcd) throw new Error('test/k8s/versions.env must set KUBERNETES_VERSION and ETCD_VERSION');
  return { kubernetes, etcd };
}

function parseEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=["']?([^"'#\s]*)["']?\s*(#.*)?$/.exec(line);
    if (match?.[1] && match[2] !== undefined) entries.set(match[1], match[2]);
  }
  return entries;
}

/** Same directory as scripts/build-k8s.sh: outside the git tree, keyed by version. */
export function k8sCacheDir(): string {
  return process.env.FRF_K8S_CACHE || join(homedir(), '.cache', 'falco-response-functions', 'k8s');
}

export function k8sBinaryPaths(): { apiserver: string; etcd: string } {
  const versions = k8sVersions();
  const paths = {
    apiserver: join(k8sCacheDir(), `kube-apiserver-${versions.kubernetes}`),
    etcd: join(k8sCacheDir(), `etcd-${versions.etcd}`),
  };
  const missing = Object.values(paths).filter((path) => !isExecutable(path));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes test binaries missing: ${missing.join(', ')}\n` +
        `Build them (first build ~5 min on 2 cores) with:\n  cd ${repoRoot} && ${BUILD_COMMAND}`,
    );
  }
  return paths;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes: each server runs detached in its own process group so that killing the group
// leaves nothing behind. An 'exit' hook covers crashes of this process; a watchdog shell
// covers SIGKILL/SIGINT of it, which skip 'exit' hooks.

interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
}

const liveClusters = new Set<ClusterProcesses>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of liveClusters) cluster.killNowSync();
  });
}

function startProcess(name: string, bin: string, args: string[], logPath: string): ManagedProcess {
  const log = openSync(logPath, 'a');
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', log, log] });
    child.unref(); // the cluster must not keep a test worker alive; stop() / hooks end it
    child.on('error', () => {}); // reported through exitCode / readiness errors instead
    return { name, child, logPath };
  } finally {
    closeSync(log); // the child holds its own copy
  }
}

function isRunning(proc: ManagedProcess | undefined): boolean {
  // No pid means spawn itself failed.
  return !!proc && proc.child.pid !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
}

function killGroup(proc: ManagedProcess, signal: NodeJS.Signals): void {
  if (proc.child.pid === undefined) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopProcess(proc: ManagedProcess | undefined): Promise<void> {
  if (!proc || !isRunning(proc)) return;
  const exited = new Promise<void>((done) => proc.child.once('exit', () => done()));
  killGroup(proc, 'SIGTERM');
  const graceTimer = new AbortController(); // cancelled so it does not hold the event loop open
  const timedOut = await Promise.race([
    exited.then(() => false),
    sleep(STOP_GRACE_MS, true, { signal: graceTimer.signal }).catch(() => false),
  ]);
  graceTimer.abort();
  if (timedOut) {
    killGroup(proc, 'SIGKILL');
    await exited;
  }
}

function tailOf(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Kills the cluster's process groups and removes its dir once `parentPid` is gone. */
function startWatchdog(parentPid: number, dir: string, pidDir: string): ManagedProcess {
  const script = [
    'parent=$1; dir=$2; pids=$3',
    'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
    'for f in "$pids"/*.pgid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done',
    'rm -rf -- "$dir"',
  ].join('\n');
  return startProcess('watchdog', 'bash', ['-c', script, 'frf-k8s-watchdog', String(parentPid), dir, pidDir], '/dev/null');
}

class ClusterProcesses {
  etcd?: ManagedProcess;
  apiserver?: ManagedProcess;
  watchdog?: ManagedProcess;

  readonly dir: string;
  private readonly pidDir: string;

  constructor(dir: string, pidDir: string) {
    this.dir = dir;
    this.pidDir = pidDir;
  }

  /** Records the process group so the watchdog can find it after this process dies. */
  track(proc: ManagedProcess): ManagedProcess {
    if (proc.child.pid !== undefined) writeFileSync(join(this.pidDir, `${proc.name}.pgid`), String(proc.child.pid));
    return proc;
  }

  /** For the 'exit' hook. The watchdog is left alive: it repeats the kill and removal a second
   *  later, in case a dying server was still writing into the dir. */
  killNowSync(): void {
    for (const proc of [this.apiserver, this.etcd]) if (proc) killGroup(proc, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Files the servers read

async function freeLoopbackPorts(count: number): Promise<number[]> {
  // Hold all listeners open together so the same port is never handed out twice.
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

function csvField(value: string): string {
  if (/[",\n]/.test(value)) throw new Error(`tokens.csv field may not contain quotes, commas or newlines: ${value}`);
  return value;
}

function tokensCsv(tokens: StaticToken[]): string {
  return tokens
    .map((t) => `${csvField(t.token)},${csvField(t.user)},${csvField(t.uid)},"${t.groups.map(csvField).join(',')}"`)
    .join('\n') + '\n';
}

// Only writes are audited; reads would bury them. Metadata level: who, what, result, no bodies.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [${WRITE_VERBS.join(', ')}]
  - level: None
`;

function writeServiceAccountKey(path: string): void {
  // One private key serves both --service-account-key-file and --service-account-signing-key-file.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(path, privateKey, { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------
// Readiness

interface HttpResult {
  status: number;
  body: string;
}

function httpsGet(url: string, opts: { ca?: string; token?: string }): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const req = httpsRequest(
      url,
      {
        ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
        headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
        timeout: 5_000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

function httpGet(url: string): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** Polls `probe` until it returns true; fails early with the log tail if the process died. */
async function waitUntilReady(proc: ManagedProcess, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (!isRunning(proc)) {
      throw new Error(
        `${proc.name} exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode}) before ${what}.\n` +
          `--- last lines of ${proc.logPath} ---\n${tailOf(proc.logPath)}`,
      );
    }
    try {
      if (await probe()) return;
      lastProblem = 'not ready';
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `${proc.name} not ${what} after ${READY_TIMEOUT_MS / 1000}s (last: ${lastProblem}).\n` +
      `--- last lines of ${proc.logPath} ---\n${tailOf(proc.logPath)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Cluster

export async function startTestCluster(opts: StartTestClusterOptions = {}): Promise<TestCluster> {
  const bins = k8sBinaryPaths();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'frf-k8s-'));
  const pidDir = join(dir, 'pids');
  mkdirSync(pidDir);
  const procs = new ClusterProcesses(dir, pidDir);
  liveClusters.add(procs);
  procs.watchdog = startWatchdog(process.pid, dir, pidDir);

  try {
    const [etcdPort, etcdPeerPort, apiPort] = (await freeLoopbackPorts(3)) as [number, number, number];
    const paths = {
      etcdData: join(dir, 'etcd'),
      certDir: join(dir, 'certs'),
      tokens: join(dir, 'tokens.csv'),
      saKey: join(dir, 'sa.key'),
      auditPolicy: join(dir, 'audit-policy.yaml'),
      auditLog: join(dir, 'audit.log'),
      kubeconfig: join(dir, 'kubeconfig'),
      etcdLog: join(dir, 'etcd.log'),
      apiserverLog: join(dir, 'kube-apiserver.log'),
    };
    const adminToken = randomToken();
    writeFileSync(
      paths.tokens,
      tokensCsv([{ token: adminToken, user: 'admin', uid: 'admin', groups: ['system:masters'] }, ...(opts.extraTokens ?? [])]),
      { mode: 0o600 },
    );
    writeServiceAccountKey(paths.saKey);
    writeFileSync(paths.auditPolicy, AUDIT_POLICY);
    writeFileSync(paths.auditLog, ''); // exists from the start, so readAudit never races its creation

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const startEtcd = (): ManagedProcess =>
      procs.track(
        startProcess('etcd', bins.etcd, [
          '--name=default',
          `--data-dir=${paths.etcdData}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${etcdPeerUrl}`,
          `--initial-advertise-peer-urls=${etcdPeerUrl}`,
          `--initial-cluster=default=${etcdPeerUrl}`,
          '--unsafe-no-fsync', // throwaway data: fsync only slows tests down
          '--log-level=warn',
        ], paths.etcdLog),
      );

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
      // No controller-manager mints ServiceAccount tokens or default SAs.
      '--disable-admission-plugins=ServiceAccount',
      `--audit-policy-file=${paths.auditPolicy}`,
      `--audit-log-path=${paths.auditLog}`,
      '--audit-log-format=json',
      // The event is written before the response completes, so a test can read it right after the call.
      '--audit-log-mode=blocking',
      '--profiling=false',
    ];
    const startApiServerProcess = (): ManagedProcess =>
      procs.track(startProcess('kube-apiserver', bins.apiserver, apiserverArgs, paths.apiserverLog));

    const caPemPath = join(paths.certDir, 'apiserver.crt');
    const waitForApiServer = async (proc: ManagedProcess): Promise<void> => {
      await waitUntilReady(proc, 'ready (/readyz)', async () => {
        if (!existsSync(caPemPath)) return false; // written early in start-up
        const res = await httpsGet(`${server}/readyz`, { ca: readFileSync(caPemPath, 'utf8'), token: adminToken });
        return res.status === 200;
      });
    };

    procs.etcd = startEtcd();
    await waitUntilReady(procs.etcd, 'healthy (/health)', async () => {
      const res = await httpGet(`${etcdUrl}/health`);
      return res.status === 200 && res.body.includes('"health":"true"');
    });
    procs.apiserver = startApiServerProcess();
    await waitForApiServer(procs.apiserver);

    const coords: ClusterCoords = {
      server,
      caData: readFileSync(caPemPath).toString('base64'),
      adminToken,
      kubeconfigPath: paths.kubeconfig,
      auditLogPath: paths.auditLog,
      dataDir: dir,
    };
    writeFileSync(paths.kubeconfig, kubeConfigFor(coords, adminToken).exportConfig(), { mode: 0o600 });

    let stopping: Promise<void> | undefined;
    return {
      ...coords,
      async stopApiServer() {
        await stopProcess(procs.apiserver);
      },
      async startApiServer() {
        if (stopping) throw new Error('cluster is stopped');
        if (isRunning(procs.apiserver)) return;
        procs.apiserver = startApiServerProcess();
        await waitForApiServer(procs.apiserver);
      },
      stop() {
        stopping ??= stopCluster(procs);
        return stopping;
      },
    };
  } catch (error) {
    await stopCluster(procs);
    throw error;
  }
}

async function stopCluster(procs: ClusterProcesses): Promise<void> {
  await stopProcess(procs.apiserver); // before etcd, so it does not spin on a lost backend
  await stopProcess(procs.etcd);
  await stopProcess(procs.watchdog);
  rmSync(procs.dir, { recursive: true, force: true });
  liveClusters.delete(procs);
}

// ---------------------------------------------------------------------------------------------
// Clients

/** A client-node KubeConfig that authenticates with `token` and trusts the cluster's CA. */
export function kubeConfigFor(cluster: Pick<ClusterCoords, 'server' | 'caData'>, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'test-user', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test-user' }],
    currentContext: 'test',
  });
  return kc;
}

function adminCoreApi(cluster: ClusterCoords): CoreV1Api {
  return kubeConfigFor(cluster, cluster.adminToken).makeApiClient(CoreV1Api);
}

function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A real ServiceAccount token (TokenRequest API, 1 h). Creates the ServiceAccount first if it
 * does not exist, since no controller-manager creates any.
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

/** Creates a namespace `<prefix>-<random>` as admin and returns its name. */
export async function createTestNamespace(cluster: ClusterCoords, prefix: string): Promise<string> {
  const cleanPrefix = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  const name = `${cleanPrefix}-${randomBytes(4).toString('hex')}`;
  await adminCoreApi(cluster).createNamespace({ body: { metadata: { name } } });
  return name;
}

// ---------------------------------------------------------------------------------------------
// Audit log

/** ResponseComplete events from the audit log, oldest first, matching every given filter field. */
export function readAudit(cluster: Pick<ClusterCoords, 'auditLogPath'>, filter: AuditFilter = {}): AuditEvent[] {
  return parseAuditLog(readFileSync(cluster.auditLogPath, 'utf8')).filter(
    (event) => event.stage === 'ResponseComplete' && matchesAuditFilter(event, filter),
  );
}

function parseAuditLog(text: string): AuditEvent[] {
  // Only a line still being written can be incomplete, and it has no trailing newline yet.
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEvent);
}

function matchesAuditFilter(event: AuditEvent, filter: AuditFilter): boolean {
  if (filter.user !== undefined && event.user.username !== filter.user) return false;
  if (filter.namespace !== undefined && event.objectRef?.namespace !== filter.namespace) return false;
  if (filter.verbs !== undefined && !filter.verbs.includes(event.verb)) return false;
  if (filter.resource !== undefined && event.objectRef?.resource !== filter.resource) return false;
  if (filter.since !== undefined && receivedAtMs(event) < filter.since) return false;
  return true;
}

function receivedAtMs(event: AuditEvent): number {
  // Audit timestamps have microseconds; compare at millisecond precision like Date.now().
  return Date.parse(event.requestReceivedTimestamp.replace(/(\.\d{3})\d+/, '$1'));
}

/** Number of audited writes (create/update/patch/delete/deletecollection) matching `filter`. */
export function countWrites(cluster: Pick<ClusterCoords, 'auditLogPath'>, filter: WriteFilter = {}): number {
  const verbs = (filter.verbs ?? [...WRITE_VERBS]).filter((verb) => (WRITE_VERBS as readonly string[]).includes(verb));
  return readAudit(cluster, { ...filter, verbs }).filter(
    (event) => !filter.succeededOnly || (event.responseStatus?.code ?? 0) < 300,
  ).length;
}
