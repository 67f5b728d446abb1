// delete-pod against a real kube-apiserver: writes are counted from the API server's audit
// log by the function's own ServiceAccount identity, not taken from the function's report.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { loadClient } from '../../../shared/k8s/load-client.ts';
import { countWrites, createTestNamespace, kubeConfigFor, type ClusterCoords } from '../../harness/cluster.ts';
import { useCluster } from '../../harness/context.ts';
import { alertFor } from '../../support/alerts.ts';
import { adminApis, createDaemonSetPod, createDeploymentChain, createPod, createStatefulSetPod, eventsIn, newContainerId, podExists, type AdminApis } from '../../support/cluster-objects.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../support/function-under-test.ts';
import { postJson } from '../../support/http-client.ts';

let cluster: ClusterCoords;
let api: AdminApis;
let token: string;
let ns: string;
let since: number;
const started: FunctionUnderTest[] = [];

async function start(env: Record<string, string> = {}) {
  const fn = await startFunctionUnderTest(cluster, deletePodSpec, env, token);
  started.push(fn);
  return fn;
}
const writesBy = (fn: FunctionUnderTest, resource = 'pods') => countWrites(cluster, { user: fn.identity, namespace: ns, resource, since, succeededOnly: true });
const allWritesBy = (fn: FunctionUnderTest) => countWrites(cluster, { user: fn.identity, since });
async function send(fn: FunctionUnderTest, alert: unknown) {
  const answer = await postJson(fn.url, alert);
  return { status: answer.status, decision: JSON.parse(answer.body) };
}

beforeAll(async () => {
  cluster = useCluster();
  api = adminApis(cluster);
  token = await functionToken(cluster, deletePodSpec);
});
beforeEach(async () => {
  ns = await createTestNamespace(cluster, 'delete-pod');
  since = Date.now() - 1;
});
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.close()));
});

describe('delete-pod', () => {
  it('deletes the pod a real Falco alert names, records an Event, and a second alert is a no-op', async () => {
    const fn = await start();
    const id = newContainerId();
    await createPod(api, ns, 'alpine', { containerId: id.full });
    const first = await send(fn, alertFor(ns, 'alpine', id.short));
    expect(first.status).toBe(200);
    expect(first.decision).toMatchObject({ outcome: 'acted', reason: 'deleted', target: { namespace: ns, pod: 'alpine' } });
    expect(first.decision.warnings).toEqual([expect.stringMatching(/bare pod/)]);
    expect(first.decision.details.evidence.containers[0]).toMatchObject({ image: 'alpine:3.20', imageID: 'docker.io/library/alpine@sha256:beefed' });
    expect(await podExists(api, ns, 'alpine')).toBeUndefined();
    expect(writesBy(fn)).toBe(1);
    const events = await eventsIn(api, ns);
    expect(events).toEqual([expect.objectContaining({ reason: 'Deleted', action: 'Delete', regarding: expect.objectContaining({ kind: 'Pod', name: 'alpine' }) })]);
    expect(events[0]!.note).toMatch(/bare pod.*Terminal shell in container.*imageID|images: app=docker/);

    const second = await send(fn, alertFor(ns, 'alpine', id.short));
    expect(second.status).toBe(200);
    expect(second.decision).toMatchObject({ outcome: 'skipped', reason: 'already-handled' });
    // A fresh instance (no memory) asks the API server and finds the pod gone.
    const other = await start();
    expect((await send(other, alertFor(ns, 'alpine', id.short))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
    // Both instances act as the same ServiceAccount: one delete in all.
    expect(writesBy(fn)).toBe(1);
  });

  it('deletes a Deployment\'s pod and says its ReplicaSet recreates it', async () => {
    const fn = await start();
    const { podName } = await createDeploymentChain(api, ns, 'web');
    const { decision } = await send(fn, alertFor(ns, podName));
    expect(decision).toMatchObject({ outcome: 'acted', details: { owner: 'ReplicaSet/web-5d8f7c9b6 → Deployment/web' } });
    expect(await podExists(api, ns, podName)).toBeUndefined();
  });

  describe('guard rails: nothing is written', () => {
    it('protected namespace (even in another letter case)', async () => {
      const fn = await start({ PROTECTED_NAMESPACES: `${ns},kube-system` });
      await createPod(api, ns, 'alpine');
      for (const namespace of [ns, ns.toUpperCase()]) {
        expect((await send(fn, alertFor(namespace, 'alpine'))).decision).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
      }
      expect(await podExists(api, ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('opt-out label on the pod, opt-out on the namespace, ignore-until annotation', async () => {
      const fn = await start();
      await createPod(api, ns, 'labelled', { labels: { 'falco-response.dev/ignore': 'true' } });
      await createPod(api, ns, 'debugging', { annotations: { 'falco-response.dev/ignore-until': new Date(Date.now() + 3600_000).toISOString() } });
      for (const pod of ['labelled', 'debugging']) expect((await send(fn, alertFor(ns, pod))).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
      const optedOutNs = await createTestNamespace(cluster, 'opted-out');
      await api.core.patchNamespace({ name: optedOutNs, body: [{ op: 'add', path: '/metadata/labels', value: { 'falco-response.dev/ignore': 'true' } }] });
      await createPod(api, optedOutNs, 'alpine');
      expect((await send(fn, alertFor(optedOutNs, 'alpine'))).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out', message: expect.stringMatching(/namespace/) });
      expect(await podExists(api, optedOutNs, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('dry-run decides and reports everything but changes nothing', async () => {
      const fn = await start({ DRY_RUN: 'true' });
      await createPod(api, ns, 'alpine');
      const { decision } = await send(fn, alertFor(ns, 'alpine'));
      expect(decision).toMatchObject({ outcome: 'dry-run', reason: 'delete', message: expect.stringMatching(/^DRY_RUN: would delete pod/) });
      expect(await podExists(api, ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('stale target: the pod no longer runs the container the alert saw', async () => {
      const fn = await start();
      await createPod(api, ns, 'web-0', { containerId: newContainerId().full });
      expect((await send(fn, alertFor(ns, 'web-0', newContainerId().short))).decision).toMatchObject({ outcome: 'skipped', reason: 'stale-target' });
      expect(await podExists(api, ns, 'web-0')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('alerts older than MAX_ALERT_AGE_SECONDS', async () => {
      const fn = await start({ MAX_ALERT_AGE_SECONDS: '60' });
      await createPod(api, ns, 'alpine');
      const old = alertFor(ns, 'alpine', undefined, { time: new Date(Date.now() - 120_000).toISOString() });
      expect((await send(fn, old)).decision).toMatchObject({ outcome: 'skipped', reason: 'alert-too-old' });
      expect(allWritesBy(fn)).toBe(0);
    });

    it('owner kinds: StatefulSet and DaemonSet pods skipped when configured, bare pods too', async () => {
      const fn = await start({ SKIP_OWNER_KINDS: 'StatefulSet,DaemonSet,Standalone' });
      const { podName: statefulPod } = await createStatefulSetPod(api, ns, 'db');
      const { podName: daemonPod } = await createDaemonSetPod(api, ns, 'agent');
      await createPod(api, ns, 'bare');
      for (const [pod, kind] of [[statefulPod, 'StatefulSet'], [daemonPod, 'DaemonSet'], ['bare', 'Standalone']] as const) {
        expect((await send(fn, alertFor(ns, pod))).decision).toMatchObject({ outcome: 'skipped', reason: 'owner-kind-skipped', message: expect.stringContaining(kind) });
      }
      expect(allWritesBy(fn)).toBe(0);
    });

    it('minimum ready replicas: keeps the last ready pod of a Deployment', async () => {
      const fn = await start({ MIN_READY_REPLICAS: '1' });
      const { podName } = await createDeploymentChain(api, ns, 'web', { replicas: 2, readyReplicas: 1, containerId: newContainerId().full });
      expect((await send(fn, alertFor(ns, podName))).decision).toMatchObject({ outcome: 'skipped', reason: 'min-ready-replicas', message: expect.stringMatching(/1 ready of 2/) });
      const pct = await start({ MIN_READY_REPLICAS: '50%' });
      const ns2 = await createTestNamespace(cluster, 'min-ready');
      const { podName: other } = await createDeploymentChain(api, ns2, 'api', { replicas: 4, readyReplicas: 4, containerId: newContainerId().full });
      expect((await send(pct, alertFor(ns2, other))).decision).toMatchObject({ outcome: 'acted' });
      expect(countWrites(cluster, { user: fn.identity, namespace: ns, since })).toBe(0);
    });

    it('blast-radius limit: at most MAX_ACTIONS deletes per window, the rest dry-run with an alarm', async () => {
      const fn = await start({ MAX_ACTIONS: '2', ACTIONS_WINDOW_SECONDS: '600' });
      for (const pod of ['p1', 'p2', 'p3', 'p4']) await createPod(api, ns, pod);
      const decisions = [];
      for (const pod of ['p1', 'p2', 'p3', 'p4']) decisions.push((await send(fn, alertFor(ns, pod))).decision);
      expect(decisions.map((d) => d.outcome)).toEqual(['acted', 'acted', 'dry-run', 'dry-run']);
      expect(decisions[3]).toMatchObject({ reason: 'blast-radius-limit', warnings: expect.arrayContaining([expect.stringMatching(/blast-radius limit reached/)]) });
      expect(writesBy(fn)).toBe(2);
      expect(await podExists(api, ns, 'p3')).toBeDefined();
      expect((await eventsIn(api, ns)).filter((e) => e.reason === 'BlastRadiusLimit')).toHaveLength(2);
      expect(await fn.metrics.registry.getSingleMetricAsString('falco_response_blast_radius_limit_reached_total')).toMatch(/ 2$/m);
    });

    it('an alert naming a pod that does not exist, or no pod at all, or an invalid name', async () => {
      const fn = await start();
      expect((await send(fn, alertFor(ns, 'ghost'))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
      const noPod = alertFor(ns, 'x');
      delete noPod.output_fields['k8s.pod.name'];
      expect((await send(fn, noPod)).decision).toMatchObject({ outcome: 'skipped', reason: 'no-target' });
      expect((await send(fn, alertFor(ns, 'Not_A_Name'))).decision).toMatchObject({ outcome: 'skipped', reason: 'invalid-target' });
      expect(allWritesBy(fn)).toBe(0);
    });
  });

  it('the UID precondition protects a pod recreated under the same name', async () => {
    const fn = await start();
    const old = await createPod(api, ns, 'web-0');
    await api.core.deleteNamespacedPod({ namespace: ns, name: 'web-0' });
    const replacement = await createPod(api, ns, 'web-0');
    // The wrapper, with the function's own identity, deletes by the UID it read earlier.
    const module = await loadClient();
    const { KubeClient } = await import('../../../shared/k8s/kube-client.ts');
    const kube = new KubeClient(module, kubeConfigFor(cluster, token), { timeoutMs: 3000, retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, controller: 'test', instance: 'test' });
    expect(await kube.deletePod(ns, 'web-0', old.metadata!.uid!, undefined)).toBe('replaced');
    expect((await podExists(api, ns, 'web-0'))?.metadata?.uid).toBe(replacement.metadata!.uid);
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, resource: 'pods', since, succeededOnly: true })).toBe(0);
  });
});
