// The command line against the reacting cluster, after the real functions acted: status lists
// what they did, release and restore undo exactly that (and refuse anything else), --dry-run
// writes nothing (the audit log), and kubectl finds it as a plugin.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { alertFromValue } from '../../../shared/alert/parse-request.ts';
import { EvidenceCapture } from '../../../shared/forensics/capture.ts';
import { resolveControllingOwner } from '../../../shared/guards/owner.ts';
import { selectorMatches } from '../../../shared/k8s/label-selector.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { countWrites } from '../../../testbed/cluster/audit.ts';
import { k8sBinaryPaths, repoRoot } from '../../../testbed/cluster/binaries.ts';
import { createTestNamespace, serviceAccountToken } from '../../../testbed/cluster/accounts.ts';
import { kubeConfigFor } from '../../../testbed/cluster/credentials.ts';
import { subjectAllowed } from '../../../testbed/cluster/rbac-review.ts';
import { apply } from '../../../testbed/packaging/api-server.ts';
import { readYamlDocuments } from '../../../testbed/packaging/manifests.ts';
import { evidenceCaptureClient } from '../../../testbed/forensics/evidence-bed.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { baseEnv, runToExit } from '../../../testbed/process/spawn.ts';
import { createDeployment, waitForPods } from '../../../testbed/workloads/controllers.ts';
import { writeContainerLogs } from '../../../testbed/workloads/container-logs.ts';
import { createPod, isRunning, shortContainerId } from '../../../testbed/workloads/pods.ts';

const isolate = useFunctionTestBed(isolatePodSpec);
const scale = useFunctionTestBed(scaleToZeroSpec);
const remove = useFunctionTestBed(deletePodSpec);

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main([...argv, '--kubeconfig', isolate.cluster.kubeconfigPath], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err, json: () => JSON.parse(out) };
}

const adminWritesSince = (since: number) => countWrites(isolate.cluster, { user: 'admin', since });

describe('falco-response release', () => {
  it('status lists the quarantine; release takes back exactly it; status then shows nothing in effect', async () => {
    const fn = await isolate.start();
    const ns = isolate.ns;
    const pod = await createPod(isolate.api, ns, 'web', { labels: { app: 'web' } });
    expect((await isolate.send(fn, alertFor(ns, 'web', shortContainerId(pod)))).decision).toMatchObject({ outcome: 'acted' });

    const status = await cli('status', '-n', ns, '-o', 'json');
    expect(status.code).toBe(0);
    expect(status.json().items).toEqual([
      expect.objectContaining({
        action: 'isolated',
        namespace: ns,
        object: 'pod/web',
        function: 'isolate-pod',
        rule: 'Terminal shell in container',
        inEffect: true,
        state: 'intact',
      }),
    ]);
    expect((await cli('status', '-n', ns)).out).toMatch(
      /^ACTION\s+NAMESPACE\s+OBJECT.*\nisolated\s+\S+\s+pod\/web\s+Terminal shell in container\s+\d+s\s+yes\s+intact\n$/,
    );

    const before = Date.now() - 1;
    const dry = await cli('release', 'pod/web', '-n', ns, '--dry-run');
    expect(dry).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^would delete NetworkPolicy falco-quarantine-web; remove the quarantine label/),
    });
    expect(adminWritesSince(before)).toBe(0);

    expect(await cli('release', 'pod/web', '-n', ns)).toMatchObject({ code: 0 });
    const released = await isolate.api.core.readNamespacedPod({ namespace: ns, name: 'web' });
    expect(released.metadata?.labels).toEqual({ app: 'web' });
    expect(Object.keys(released.metadata?.annotations ?? {}).filter((k) => k.startsWith('falco-response.dev/'))).toEqual([]);
    const policies = (await isolate.api.networking.listNamespacedNetworkPolicy({ namespace: ns })).items;
    expect(policies.filter((p) => selectorMatches(p.spec?.podSelector, released.metadata!.labels!))).toEqual([]);
    expect(isRunning(released)).toBe(true);
    const events = (await isolate.api.events.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason === 'Released');
    expect(events).toEqual([
      expect.objectContaining({
        note: expect.stringMatching(/^falco-response release by admin: delete NetworkPolicy falco-quarantine-web/),
      }),
    ]);

    expect((await cli('status', '-n', ns, '-o', 'json')).json().items.filter((i: { inEffect: boolean }) => i.inEffect)).toEqual([]);
    expect(await cli('release', 'pod/web', '-n', ns)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/not quarantined: nothing to release/),
    });
  });

  it('refuses a NetworkPolicy isolate-pod did not create (exit 3), and a pod that does not exist', async () => {
    const ns = isolate.ns;
    await createPod(isolate.api, ns, 'db');
    await isolate.api.networking.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: 'falco-quarantine-db' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    });
    const refused = await cli('release', 'pod/db', '-n', ns);
    expect(refused).toMatchObject({
      code: 3,
      err: expect.stringMatching(/refused: NetworkPolicy .*falco-quarantine-db was not created by isolate-pod/),
    });
    expect(await isolate.api.networking.readNamespacedNetworkPolicy({ namespace: ns, name: 'falco-quarantine-db' })).toBeDefined();
    expect((await cli('release', 'pod/ghost', '-n', ns)).code).toBe(3);
  });
});

describe('falco-response restore', () => {
  it('status lists the workload at 0 with its count; restore brings its pods back Running; a second restore is a no-op', async () => {
    const fn = await scale.start();
    const ns = scale.ns;
    const { pods } = await createDeployment(scale.api, ns, 'api', { replicas: 2 });
    expect((await scale.send(fn, alertFor(ns, pods[0]!.metadata!.name!))).decision).toMatchObject({ outcome: 'acted' });

    const items = (await cli('status', '-n', ns, '-o', 'json')).json().items;
    expect(items).toEqual([
      expect.objectContaining({
        action: 'scaled-to-zero',
        object: 'deployment/api',
        previousReplicas: 2,
        inEffect: true,
        state: expect.stringMatching(/^at 0 \(was 2\)/),
      }),
    ]);

    const before = Date.now() - 1;
    expect(await cli('restore', 'deployment/api', '-n', ns, '--dry-run')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^would restore Deployment .*\/api to 2 replicas/),
    });
    expect(adminWritesSince(before)).toBe(0);

    expect(await cli('restore', 'deploy/api', '-n', ns)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/restored Deployment .*\/api to 2 replicas/),
    });
    const back = await waitForPods(scale.api, ns, { app: 'api' }, 2);
    expect(back.every(isRunning)).toBe(true);
    expect((await cli('status', '-n', ns, '-o', 'json')).json().items.filter((i: { inEffect: boolean }) => i.inEffect)).toEqual([]);
    const events = (await scale.api.events.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason === 'Restored');
    expect(events).toEqual([expect.objectContaining({ note: expect.stringMatching(/^falco-response restore by admin: restored/) })]);
    expect(await cli('restore', 'deployment/api', '-n', ns)).toMatchObject({ code: 0, out: expect.stringMatching(/restored already/) });
  });

  it('refuses a workload scale-to-zero did not scale (exit 3) unless given --replicas', async () => {
    const ns = scale.ns;
    await createDeployment(scale.api, ns, 'other', { replicas: 1 });
    expect(await cli('restore', 'deployment/other', '-n', ns)).toMatchObject({
      code: 3,
      err: expect.stringMatching(/no falco-response.dev\/previous-replicas record/),
    });
    expect((await cli('restore', 'deployment/other', '-n', ns, '--replicas', '2')).code).toBe(3); // not at 0
  });
});

describe('falco-response status after delete-pod', () => {
  it('lists the deletion from the evidence the function kept (table and JSON), not in effect', async () => {
    const fn = await remove.start();
    const ns = remove.ns;
    const pod = await createPod(remove.api, ns, 'gone');
    expect((await remove.send(fn, alertFor(ns, 'gone', shortContainerId(pod)))).decision).toMatchObject({ outcome: 'acted' });
    const secret = `falco-response-evidence/delete-pod-${pod.metadata!.uid}`;
    const status = await cli('status', '-n', ns, '-o', 'json');
    expect(status.code).toBe(0);
    expect(status.json().items).toEqual([
      {
        action: 'deleted',
        namespace: ns,
        object: 'pod/gone',
        function: 'delete-pod',
        rule: 'Terminal shell in container',
        at: expect.any(String),
        inEffect: false,
        state: `evidence ${secret}`,
        source: 'evidence',
      },
    ]);
    expect((await cli('status', '-n', ns)).out).toMatch(
      new RegExp(
        `^ACTION\\s+NAMESPACE\\s+OBJECT.*\\ndeleted\\s+${ns}\\s+pod/gone\\s+Terminal shell in container\\s+\\d+s\\s+no\\s+evidence ${secret}\\n$`,
      ),
    );
  });

  it('with EVIDENCE=off, from its Event, saying that Events expire', async () => {
    const fn = await remove.start({ EVIDENCE: 'off' });
    const ns = remove.ns;
    const pod = await createPod(remove.api, ns, 'unkept');
    expect((await remove.send(fn, alertFor(ns, 'unkept', shortContainerId(pod)))).decision).toMatchObject({ outcome: 'acted' });
    expect((await cli('status', '-n', ns, '-o', 'json')).json().items).toEqual([
      expect.objectContaining({
        action: 'deleted',
        object: 'pod/unkept',
        rule: 'Terminal shell in container',
        inEffect: false,
        source: 'event',
        state: expect.stringMatching(/Events expire/),
      }),
    ]);
  });
});

describe('as the people on call: the shipped operator roles are enough', () => {
  it('status, release, restore and evidence list run with only operations/operator-rbac.yaml bound, which reads no Secret elsewhere', async () => {
    const cluster = isolate.cluster;
    const evidence = 'falco-response-evidence';
    for (const doc of readYamlDocuments('operations/operator-rbac.yaml')) await apply(cluster, doc);
    const home = await createTestNamespace(cluster, 'oncall');
    const token = await serviceAccountToken(cluster, home, 'oncall');
    const subjects = [{ kind: 'ServiceAccount', name: 'oncall', namespace: home }];
    const roleRef = (kind: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: 'falco-response-operator' });
    await apply(cluster, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `falco-response-operator-${home}` },
      roleRef: roleRef('ClusterRole'),
      subjects,
    });
    await apply(cluster, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `falco-response-operator-${home}`, namespace: evidence },
      roleRef: roleRef('Role'),
      subjects,
    });
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'frf-oncall-')), 'kubeconfig');
    writeFileSync(kubeconfig, kubeConfigFor(cluster, token).exportConfig(), { mode: 0o600 });
    const oncall = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await main([...argv, '--kubeconfig', kubeconfig], { out: (t) => (out += t), err: (t) => (err += t) });
      return { code, out, err };
    };

    const isolateFn = await isolate.start();
    const held = await createPod(isolate.api, isolate.ns, 'held');
    expect((await isolate.send(isolateFn, alertFor(isolate.ns, 'held', shortContainerId(held)))).decision).toMatchObject({
      outcome: 'acted',
    });
    const scaleFn = await scale.start();
    const { pods } = await createDeployment(scale.api, scale.ns, 'shop', { replicas: 1 });
    expect((await scale.send(scaleFn, alertFor(scale.ns, pods[0]!.metadata!.name!))).decision).toMatchObject({ outcome: 'acted' });

    const status = await oncall('status', '-A', '-o', 'json');
    expect(status.code, status.err).toBe(0);
    const items = (JSON.parse(status.out) as { items: Array<{ namespace: string; object: string; inEffect: boolean }> }).items;
    expect(items).toContainEqual(expect.objectContaining({ namespace: isolate.ns, object: 'pod/held', inEffect: true }));
    expect(items).toContainEqual(expect.objectContaining({ namespace: scale.ns, object: 'deployment/shop', inEffect: true }));
    expect(await oncall('release', 'pod/held', '-n', isolate.ns)).toMatchObject({ code: 0 });
    expect(await oncall('restore', 'deployment/shop', '-n', scale.ns)).toMatchObject({ code: 0 });
    const listed = await oncall('evidence', 'list', '-o', 'json');
    expect(listed.code, listed.err).toBe(0);
    expect(JSON.parse(listed.out).items).toContainEqual(expect.objectContaining({ name: `isolate-pod-${held.metadata!.uid}` }));
    const released = await isolate.api.events.listNamespacedEvent({ namespace: isolate.ns });
    expect(released.items.find((e) => e.reason === 'Released')?.note).toContain(`by system:serviceaccount:${home}:oncall`);

    // The evidence only: no Secret anywhere else.
    const user = { user: `system:serviceaccount:${home}:oncall`, groups: ['system:serviceaccounts', 'system:authenticated'] };
    for (const namespace of ['kube-system', home, isolate.ns, '']) {
      expect(await subjectAllowed(cluster, user, { verb: 'get', group: '', resource: 'secrets', namespace })).toBe(false);
      expect(await subjectAllowed(cluster, user, { verb: 'list', group: '', resource: 'secrets', namespace })).toBe(false);
    }
    expect(await subjectAllowed(cluster, user, { verb: 'get', group: '', resource: 'secrets', namespace: evidence })).toBe(true);
  });
});

describe('falco-response evidence, and kubectl falco-response', () => {
  let bundleDir: string;
  beforeAll(async () => {
    const built = await runToExit(process.execPath, [join(repoRoot, 'cli', 'bundle.mjs')], { env: baseEnv() });
    expect(built.code, built.stderr).toBe(0);
    bundleDir = join(repoRoot, 'dist', 'cli');
  });

  it('list, save and prune the evidence kept for an action', async () => {
    const ns = await createTestNamespace(isolate.cluster, 'cli-evidence');
    const store = await createTestNamespace(isolate.cluster, 'cli-evidence-store');
    const kube = await evidenceCaptureClient(isolate.cluster, { mode: 'logs', namespace: store });
    await createPod(isolate.api, ns, 'victim');
    await writeContainerLogs(isolate.cluster, isolate.api, ns, 'victim', { app: { current: ['whoami'] } });
    const pod = (await kube.getPod(ns, 'victim'))!;
    const capture = new EvidenceCapture({ mode: 'logs', namespace: store, logBytes: 65536, timeoutMs: 2000, maxConcurrent: 1 });
    const { stored } = await capture.capture({
      kube,
      pod,
      owner: await resolveControllingOwner(pod, kube),
      alert: alertFromValue(alertFor(ns, 'victim')),
      fn: 'delete-pod',
    });
    const list = await cli('evidence', 'list', '--evidence-namespace', store, '-o', 'json');
    expect(list.json().items).toEqual([
      expect.objectContaining({ name: stored!.name, summary: expect.objectContaining({ function: 'delete-pod', missing: [] }) }),
    ]);
    const dir = join(mkdtempSync(join(tmpdir(), 'frf-evidence-')), 'saved');
    expect((await cli('evidence', 'save', stored!.name, dir, '--evidence-namespace', store)).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['alert.json', 'app.log', 'events.yaml', 'owner.json', 'pod.yaml', 'summary.json']);
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('whoami\n');
    expect(await cli('evidence', 'prune', '--older-than', '1h', '--evidence-namespace', store)).toMatchObject({
      code: 0,
      out: 'deleted 0, kept 1\n',
    });
    expect((await cli('evidence', 'show', 'nothing-here', '--evidence-namespace', store)).code).toBe(3);
  });

  it('kubectl falco-response status runs the bundled plugin found on the PATH', async () => {
    const kubectl = k8sBinaryPaths().kubectl;
    const env = { ...baseEnv(), PATH: `${bundleDir}:${baseEnv().PATH}`, KUBECONFIG: isolate.cluster.kubeconfigPath };
    const listed = await runToExit(kubectl, ['plugin', 'list'], { env });
    expect(listed.stdout).toContain(join(bundleDir, 'kubectl-falco_response'));
    const status = await runToExit(kubectl, ['falco-response', 'status', '-n', isolate.ns, '-o', 'json'], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ items: [] });
    expect((await runToExit(kubectl, ['falco-response', 'restore', 'deployment/none', '-n', isolate.ns], { env })).code).toBe(3);
  });
});
