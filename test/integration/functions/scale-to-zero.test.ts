// scale-to-zero against a real kube-apiserver: owner chains made by hand (no controllers run).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../../../functions/scale-to-zero/spec.ts';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { countWrites, createTestNamespace, type ClusterCoords } from '../../harness/cluster.ts';
import { useCluster } from '../../harness/context.ts';
import { alertFor } from '../../support/alerts.ts';
import { adminApis, createDaemonSetPod, createDeploymentChain, createPod, createStatefulSetPod, eventsIn, type AdminApis } from '../../support/cluster-objects.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../support/function-under-test.ts';
import { postJson } from '../../support/http-client.ts';

let cluster: ClusterCoords;
let api: AdminApis;
let token: string;
let ns: string;
let since: number;
const started: FunctionUnderTest[] = [];

async function start(env: Record<string, string> = {}) {
  const fn = await startFunctionUnderTest(cluster, scaleToZeroSpec, env, token);
  started.push(fn);
  return fn;
}
async function send(fn: FunctionUnderTest, alert: unknown) {
  const answer = await postJson(fn.url, alert);
  return { status: answer.status, decision: JSON.parse(answer.body) };
}
const writes = (fn: FunctionUnderTest, resource?: string) => countWrites(cluster, { user: fn.identity, namespace: ns, resource, since, succeededOnly: true });
const scaleWrites = (fn: FunctionUnderTest) => countWrites(cluster, { user: fn.identity, namespace: ns, since, succeededOnly: true }) - writes(fn, 'events');

beforeAll(async () => {
  cluster = useCluster();
  api = adminApis(cluster);
  token = await functionToken(cluster, scaleToZeroSpec);
});
beforeEach(async () => {
  ns = await createTestNamespace(cluster, 'scale-to-zero');
  since = Date.now() - 1;
});
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.close()));
});

describe('scale-to-zero', () => {
  it('Pod → ReplicaSet → Deployment: scales the Deployment to 0 through /scale and records the previous count', async () => {
    const fn = await start();
    const { podName } = await createDeploymentChain(api, ns, 'web', { replicas: 3 });
    const { status, decision } = await send(fn, alertFor(ns, podName));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'scaled-to-zero', target: { kind: 'Deployment', name: 'web', pod: podName }, details: { previousReplicas: 3 } });
    const scale = await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
    expect(scale.spec?.replicas ?? 0).toBe(0); // 0 is omitted from the JSON
    const deployment = await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    expect(deployment.metadata?.annotations).toMatchObject({ [PREVIOUS_REPLICAS_ANNOTATION]: '3', 'falco-response.dev/scaled-by-rule': 'Terminal shell in container', 'falco-response.dev/scaled-for-pod': podName });
    const scaleUpdates = countWrites(cluster, { user: fn.identity, namespace: ns, since, succeededOnly: true, verbs: ['update'] });
    expect(scaleUpdates).toBe(1);
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, since, succeededOnly: true, resource: 'deployments', verbs: ['patch'] })).toBe(1);
    expect(readScaleSubresourceWrites()).toBe(1);
    expect((await eventsIn(api, ns))).toEqual([expect.objectContaining({ reason: 'ScaledToZero', regarding: expect.objectContaining({ kind: 'Deployment', name: 'web' }) })]);

    const again = await start();
    expect((await send(again, alertFor(ns, podName))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-scaled' });
    expect(scaleWrites(fn)).toBe(2);

    function readScaleSubresourceWrites() {
      return countWrites(cluster, { user: fn.identity, namespace: ns, since, succeededOnly: true, resource: 'deployments', verbs: ['update'] });
    }
  });

  it('a StatefulSet likewise', async () => {
    const fn = await start();
    const { podName } = await createStatefulSetPod(api, ns, 'db', { replicas: 2 });
    expect((await send(fn, alertFor(ns, podName))).decision).toMatchObject({ outcome: 'acted', target: { kind: 'StatefulSet', name: 'db' }, details: { previousReplicas: 2 } });
    expect((await api.apps.readNamespacedStatefulSetScale({ namespace: ns, name: 'db' })).spec?.replicas ?? 0).toBe(0);
    expect((await api.apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' })).metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION]).toBe('2');
  });

  it('warns that a GitOps-managed workload will be scaled back, and what to do', async () => {
    const fn = await start();
    const { podName } = await createDeploymentChain(api, ns, 'shop', { labels: { 'argocd.argoproj.io/instance': 'shop' } });
    const { decision } = await send(fn, alertFor(ns, podName));
    expect(decision).toMatchObject({ outcome: 'acted', warnings: [expect.stringMatching(/Argo CD \(Application shop\).*sync/)] });
    expect((await eventsIn(api, ns))[0]).toMatchObject({ type: 'Warning', note: expect.stringContaining('Argo CD') });
  });

  it('refuses clearly, writing nothing, for a bare pod and a DaemonSet pod', async () => {
    const fn = await start();
    await createPod(api, ns, 'bare');
    const { podName } = await createDaemonSetPod(api, ns, 'agent');
    expect((await send(fn, alertFor(ns, 'bare'))).decision).toMatchObject({ outcome: 'skipped', reason: 'not-scalable', message: expect.stringMatching(/bare pod.*delete-pod/) });
    expect((await send(fn, alertFor(ns, podName))).decision).toMatchObject({ outcome: 'skipped', reason: 'not-scalable', message: expect.stringMatching(/DaemonSet agent/) });
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, since })).toBe(0);
  });

  it('guard rails write nothing: dry-run, protected namespace, opt-out on the namespace', async () => {
    const dry = await start({ DRY_RUN: 'true' });
    const { podName } = await createDeploymentChain(api, ns, 'web', { replicas: 2 });
    expect((await send(dry, alertFor(ns, podName))).decision).toMatchObject({ outcome: 'dry-run', message: expect.stringMatching(/would scale Deployment .*from 2 to 0/) });
    const protectedFn = await start({ PROTECTED_NAMESPACES: `${ns}` });
    expect((await send(protectedFn, alertFor(ns, podName))).decision.reason).toBe('protected-namespace');
    await api.core.patchNamespace({ name: ns, body: [{ op: 'add', path: '/metadata/annotations', value: { 'falco-response.dev/ignore': 'true' } }] });
    const normal = await start();
    expect((await send(normal, alertFor(ns, podName))).decision.reason).toBe('opted-out');
    expect(countWrites(cluster, { user: dry.identity, namespace: ns, since })).toBe(0);
    expect((await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' })).spec?.replicas).toBe(2);
  });
});
