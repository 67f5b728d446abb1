'use strict';
// Training run for start.cjs: starts the function in this folder with FAST_START_TRAIN=1,
// sends it what a first minute in a cluster brings (a filtered alert, an alert that acts,
// health probes and a /metrics scrape) and stops it; start.cjs then writes app.cjs.v8cache
// and kube.cjs.v8cache. The cluster is a stand-in on loopback that answers the calls the
// functions make with plausible objects, so no cluster or network is needed: run it where
// the image is built, with the image's own node (a cache only fits the V8 that wrote it).
//
//   node train.cjs        (in dist/<function>/; exits non-zero if no cache was written)
const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const NAMESPACE = 'training';
const POD = 'web-5d8f7c9b6-x7k2p';
const CONTAINER_ID = 'c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0ddba1';

function meta(name, extra = {}) {
  return { name, namespace: NAMESPACE, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z', ...extra };
}
const owner = (kind, apiVersion, name) => [{ apiVersion, kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true }];
const selector = { matchLabels: { app: 'web' } };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'alpine:3.20' }] } };

/** What the stand-in cluster holds: a Deployment → ReplicaSet → Pod chain in a plain namespace. */
const objects = {
  [`/api/v1/namespaces/${NAMESPACE}`]: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE, uid: 'uid-ns', resourceVersion: '1' },
    status: { phase: 'Active' },
  },
  [`/api/v1/namespaces/${NAMESPACE}/pods/${POD}`]: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(POD, { labels: { app: 'web' }, ownerReferences: owner('ReplicaSet', 'apps/v1', 'web-5d8f7c9b6') }),
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'alpine:3.20' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      containerStatuses: [
        {
          name: 'app',
          image: 'alpine:3.20',
          imageID: 'docker.io/library/alpine@sha256:beef',
          containerID: `containerd://${CONTAINER_ID}`,
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
        },
      ],
    },
  },
  [`/apis/apps/v1/namespaces/${NAMESPACE}/replicasets/web-5d8f7c9b6`]: {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('web-5d8f7c9b6', { ownerReferences: owner('Deployment', 'apps/v1', 'web') }),
    spec: { replicas: 2, selector, template },
    status: { replicas: 2, readyReplicas: 2 },
  },
  [`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/web`]: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web'),
    spec: { replicas: 2, selector, template },
    status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
  },
  [`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/web/scale`]: {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: meta('web'),
    spec: { replicas: 2 },
    status: { replicas: 2, selector: 'app=web' },
  },
};

function notFound(path) {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', message: `${path} not found`, reason: 'NotFound', code: 404 };
}

/** GET what it holds (404 otherwise, an empty list for collections); writes succeed and echo. */
function answer(method, path, body) {
  const known = objects[path];
  if (method === 'GET') {
    if (known) return [200, known];
    if (/\/(networkpolicies|events|pods)$/.test(path))
      return [200, { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: [] }];
    return [404, notFound(path)];
  }
  if (method === 'DELETE') return known ? [200, known] : [404, notFound(path)];
  const sent = body ? JSON.parse(body) : {};
  if (method === 'POST') return [201, { ...sent, metadata: { ...sent.metadata, uid: 'uid-created', resourceVersion: '2' } }];
  // PUT and PATCH: the object as it would be after the write.
  return known
    ? [200, { ...known, ...sent, metadata: { ...known.metadata, ...sent.metadata, resourceVersion: '2' } }]
    : [404, notFound(path)];
}

function startCluster() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const [status, object] = answer(req.method, new URL(req.url, 'http://x').pathname, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(object));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function kubeconfig(port) {
  // Plain HTTP needs insecure-skip-tls-verify in client-node's eyes; the token is a dummy.
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{ name: training, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
    'users: [{ name: training, user: { token: training } }]',
    'contexts: [{ name: training, context: { cluster: training, user: training } }]',
    'current-context: training',
    '',
  ].join('\n');
}

function alert(priority) {
  const fields = {
    'container.id': CONTAINER_ID.slice(0, 12),
    'container.image.repository': 'alpine',
    'k8s.ns.name': NAMESPACE,
    'k8s.pod.name': POD,
    'proc.cmdline': 'sh -c uptime',
    'proc.name': 'sh',
    'user.name': 'root',
  };
  return JSON.stringify({
    output: `A shell was spawned in a container with an attached terminal (k8s.ns=${NAMESPACE} k8s.pod=${POD})`,
    priority,
    rule: 'Terminal shell in container',
    time: new Date().toISOString(),
    output_fields: fields,
    tags: ['container', 'shell'],
  });
}

function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function untilAnswered(port, child) {
  for (let tries = 0; tries < 2000; tries++) {
    if (child.exitCode !== null) throw new Error(`the function exited with ${child.exitCode} before answering`);
    try {
      return await request(port, 'POST', '/', alert('Debug'));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  throw new Error('the function did not answer within 20 s');
}

function freePort() {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  const cluster = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'fast-start-train-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(cluster.address().port), { mode: 0o600 });
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOCK_FILE: '',
    KUBECONFIG: kubeconfigPath,
    POD_NAMESPACE: 'falco-response',
    LOG_LEVEL: 'info',
    FAST_START_TRAIN: '1',
  };
  // With this run's node flags (the image's entry point's, see the Dockerfile): V8 rejects a
  // cache written under other flags.
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'start.cjs')], {
    cwd: __dirname,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await untilAnswered(port, child);
    await request(port, 'GET', '/healthz');
    await request(port, 'GET', '/readyz');
    const acting = await request(port, 'POST', '/', alert('Critical'));
    if (acting < 200 || acting > 299)
      process.stderr.write(`train: the acting alert was answered ${acting}; the cache covers less of that path\n`);
    await request(port, 'GET', '/metrics');
  } finally {
    child.kill('SIGTERM');
    const outcome = await exited;
    cluster.close();
    rmSync(dir, { recursive: true, force: true });
    if (outcome !== 0) process.stderr.write(`train: the function ended with ${outcome}\n`);
  }
  const written = ['app.cjs', 'kube.cjs'].filter((name) => existsSync(join(__dirname, `${name}.v8cache`)));
  process.stdout.write(`train: wrote ${written.map((name) => `${name}.v8cache`).join(', ') || 'no cache'}\n`);
  if (!written.includes('app.cjs')) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`train: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
