// The shipped artifacts together, against the real API server: each function's bundle, copied
// alone into an empty directory and started as its image starts it, with the environment of
// its Knative Service and the identity and RBAC of knative/10-rbac.yaml, receives its alert as
// the Broker delivers it (binary CloudEvent with the token extension) and acts, keeping its
// evidence first in the evidence namespace the shipped RBAC makes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWrites } from '../../../testbed/cluster/audit.ts';
import { createTestNamespace, serviceAccountToken } from '../../../testbed/cluster/accounts.ts';
import { kubeConfigFor } from '../../../testbed/cluster/credentials.ts';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { adminApis } from '../../../testbed/workloads/admin-apis.ts';
import { createPod, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';
import { createDeploymentWithPod } from '../../../testbed/workloads/controllers.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { evidenceContentOf } from '../../../shared/forensics/evidence-record.ts';
import { writeContainerLogs } from '../../../testbed/workloads/container-logs.ts';
import { recordedRequest } from '../../../testbed/alerts/fixtures.ts';
import { KNATIVE_NAMESPACE, serviceAccountName, type FunctionName } from '../../../packaging/names.ts';
import { entrypointIn } from '../../../packaging/start-command.ts';
import { apply, ensureNamespace } from '../../../testbed/packaging/api-server.ts';
import { buildBundles, type BuiltBundles } from '../../../testbed/packaging/bundles.ts';
import { envOf, knativeServiceOf, readYamlDocuments, type Manifest } from '../../../testbed/packaging/manifests.ts';
import { freePort, startProcess, waitUntilReady } from '../../../testbed/process/container-process.ts';

const cluster = useCluster();
const api = adminApis(cluster);
const TOKEN = 'broker-delivered-token';
let bundles: BuiltBundles;
let scratch: string;
let ns: string;

beforeAll(async () => {
  bundles = buildBundles('frf-bundles-cluster-');
  scratch = mkdtempSync(join(tmpdir(), 'frf-bundle-cluster-'));
  ns = await createTestNamespace(cluster, 'shipped');
  await ensureNamespace(cluster, KNATIVE_NAMESPACE);
  // The RBAC exactly as shipped for Knative (ServiceAccounts, ClusterRoles, bindings).
  for (const manifest of readYamlDocuments('knative/10-rbac.yaml')) await apply(cluster, manifest);
}, 120_000);
afterAll(() => {
  bundles?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Starts fn's bundle from a directory holding only its files, configured as its Knative Service, as its ServiceAccount. */
async function startShipped(fn: FunctionName) {
  const dir = mkdtempSync(join(scratch, `${fn}-`));
  bundles.copyAppTo(fn, dir);
  const token = await serviceAccountToken(cluster, KNATIVE_NAMESPACE, serviceAccountName(fn));
  const kubeconfig = join(scratch, `${fn}.kubeconfig`);
  writeFileSync(kubeconfig, kubeConfigFor(cluster, token).exportConfig(), { mode: 0o600 });
  const env = envOf(knativeServiceOf(fn).spec.template.spec.containers[0]);
  const port = await freePort();
  const { command, args } = entrypointIn(dir);
  const proc = startProcess(command, args, {
    cwd: dir,
    env: {
      ...env,
      // What Kubernetes provides in the pod: the Secret's value, $PORT, the pod's namespace (here: no ServiceAccount mount, so a kubeconfig).
      AUTH_TOKEN: TOKEN,
      PORT: String(port),
      HOST: '127.0.0.1',
      POD_NAMESPACE: KNATIVE_NAMESPACE,
      KUBECONFIG: kubeconfig,
      HOME: dir,
    },
  });
  await waitUntilReady(proc, `http://127.0.0.1:${port}/readyz`);
  return { proc, url: `http://127.0.0.1:${port}/`, identity: `system:serviceaccount:${KNATIVE_NAMESPACE}:${serviceAccountName(fn)}` };
}

/** The alert as the Broker hands it on: Falcosidekick's binary CloudEvent, plus the token extension. */
async function deliverAsBroker(url: string, alert: Manifest) {
  const recorded = recordedRequest('cloudevents-binary-terminal-shell').headers;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recorded)) if (/^ce-/i.test(name) || name === 'Content-Type') headers[name] = value;
  Object.assign(headers, {
    'Ce-Id': crypto.randomUUID(),
    'Ce-Time': alert.time,
    'Ce-Rule': alert.rule,
    'Ce-Priority': alert.priority,
    'Ce-Authtoken': TOKEN,
  });
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(alert) });
  return { status: response.status, type: response.headers.get('ce-type'), decision: (await response.json()) as Manifest };
}

describe('each shipped function, from its bundle, with its shipped RBAC and environment', () => {
  it('delete-pod: "Terminal shell in container" → the evidence is kept, then the pod is gone', async () => {
    const fn = await startShipped('delete-pod');
    try {
      const pod = await createPod(api, ns, 'shell');
      const id = { short: shortContainerId(pod) };
      await writeContainerLogs(cluster, api, ns, 'shell', { app: { current: ['$ id', 'uid=0(root) gid=0(root)'] } });
      const since = Date.now();
      const answer = await deliverAsBroker(fn.url, alertFor(ns, 'shell', id.short));
      expect(answer.status).toBe(200);
      expect(answer.type).toBe('dev.falcoresponse.decision.v1');
      expect(answer.decision).toMatchObject({ outcome: 'acted', reason: 'deleted', target: { namespace: ns, pod: 'shell' } });
      await waitForPodGone(api, ns, 'shell');
      expect(
        countWrites(cluster, { user: fn.identity, namespace: ns, resource: 'pods', verbs: ['delete'], since, succeededOnly: true }),
      ).toBe(1);
      // The evidence, as the shipped RBAC lets it be kept: one Secret created in falco-response-evidence.
      const name = `delete-pod-${pod.metadata!.uid}`;
      expect(answer.decision.details.evidenceRecord).toMatchObject({ result: 'complete', secret: `falco-response-evidence/${name}` });
      expect(
        countWrites(cluster, {
          user: fn.identity,
          namespace: 'falco-response-evidence',
          resource: 'secrets',
          verbs: ['create'],
          since,
          succeededOnly: true,
        }),
      ).toBe(1);
      const content = evidenceContentOf(await api.core.readNamespacedSecret({ namespace: 'falco-response-evidence', name }));
      expect(content.pod.metadata?.uid).toBe(pod.metadata!.uid);
      expect(content.alert).toMatchObject({ rule: 'Terminal shell in container' });
      expect(content.logs).toEqual([{ container: 'app', instance: 'current', text: '$ id\nuid=0(root) gid=0(root)\n' }]);
    } finally {
      expect(await fn.proc.stop('SIGTERM'), fn.proc.output()).toBe(0);
    }
  });

  it('isolate-pod: a reverse shell → the pod is cut off by a deny-all NetworkPolicy', async () => {
    const fn = await startShipped('isolate-pod');
    try {
      const id = { short: shortContainerId(await createPod(api, ns, 'revshell')) };
      const answer = await deliverAsBroker(
        fn.url,
        alertFor(ns, 'revshell', id.short, { rule: 'Redirect STDOUT/STDIN to Network Connection in Container' }),
      );
      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({ outcome: 'acted', reason: 'isolated', target: { namespace: ns, pod: 'revshell' } });
      const policies = await api.networking.listNamespacedNetworkPolicy({ namespace: ns });
      expect(policies.items.map((p) => p.metadata?.name)).toContain('falco-quarantine-revshell');
    } finally {
      expect(await fn.proc.stop('SIGTERM'), fn.proc.output()).toBe(0);
    }
  });

  it('scale-to-zero: a dropped binary, Critical → the Deployment is scaled to 0', async () => {
    const fn = await startShipped('scale-to-zero');
    try {
      const { podName } = await createDeploymentWithPod(api, ns, 'compromised', { replicas: 2 });
      const answer = await deliverAsBroker(
        fn.url,
        alertFor(ns, podName, undefined, { rule: 'Drop and execute new binary in container', priority: 'Critical' }),
      );
      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({
        outcome: 'acted',
        reason: 'scaled-to-zero',
        target: { kind: 'Deployment', name: 'compromised' },
      });
      expect((await api.apps.readNamespacedDeployment({ namespace: ns, name: 'compromised' })).spec?.replicas).toBe(0);
    } finally {
      expect(await fn.proc.stop('SIGTERM'), fn.proc.output()).toBe(0);
    }
  });

  it('a shipped function ignores an alert its Trigger would not route to it, and refuses one without the token', async () => {
    const fn = await startShipped('scale-to-zero');
    try {
      const { podName } = await createDeploymentWithPod(api, ns, 'innocent', { replicas: 2 });
      const shell = await deliverAsBroker(fn.url, alertFor(ns, podName));
      expect(shell.decision).toMatchObject({ outcome: 'skipped' });
      const noToken = await fetch(fn.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertFor(ns, podName, undefined, { rule: 'Drop and execute new binary in container', priority: 'Critical' })),
      });
      expect(noToken.status).toBe(401);
      expect((await api.apps.readNamespacedDeployment({ namespace: ns, name: 'innocent' })).spec?.replicas).toBe(2);
    } finally {
      expect(await fn.proc.stop('SIGTERM'), fn.proc.output()).toBe(0);
    }
  });
});
