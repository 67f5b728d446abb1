// isolate-pod against a real kube-apiserver: the NetworkPolicy the server accepted, what it
// selects, and the writes counted from the audit log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL } from '../../../functions/isolate-pod/quarantine.ts';
import { isolatePodSpec } from '../../../functions/isolate-pod/spec.ts';
import { countWrites, createTestNamespace, type ClusterCoords } from '../../harness/cluster.ts';
import { useCluster } from '../../harness/context.ts';
import { alertFor } from '../../support/alerts.ts';
import { adminApis, createPod, eventsIn, newContainerId, podExists, type AdminApis } from '../../support/cluster-objects.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../support/function-under-test.ts';
import { postJson } from '../../support/http-client.ts';

let cluster: ClusterCoords;
let api: AdminApis;
let token: string;
let ns: string;
let since: number;
const started: FunctionUnderTest[] = [];

async function start(env: Record<string, string> = {}) {
  const fn = await startFunctionUnderTest(cluster, isolatePodSpec, env, token);
  started.push(fn);
  return fn;
}
async function send(fn: FunctionUnderTest, alert: unknown) {
  const answer = await postJson(fn.url, alert);
  return { status: answer.status, decision: JSON.parse(answer.body) };
}
const writes = (fn: FunctionUnderTest, resource?: string) => countWrites(cluster, { user: fn.identity, namespace: ns, resource, since, succeededOnly: true });

beforeAll(async () => {
  cluster = useCluster();
  api = adminApis(cluster);
  token = await functionToken(cluster, isolatePodSpec);
});
beforeEach(async () => {
  ns = await createTestNamespace(cluster, 'isolate-pod');
  since = Date.now() - 1;
});
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.close()));
});

describe('isolate-pod', () => {
  it('quarantines exactly that pod with a deny-all NetworkPolicy, labels and annotates it, records an Event; a repeat is a no-op', async () => {
    const fn = await start();
    const id = newContainerId();
    const pod = await createPod(api, ns, 'alpine', { labels: { app: 'web' }, containerId: id.full });
    await createPod(api, ns, 'neighbour', { labels: { app: 'web' } });
    const { status, decision } = await send(fn, alertFor(ns, 'alpine', id.short));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'isolated', warnings: [] });

    const isolated = await podExists(api, ns, 'alpine');
    expect(isolated?.metadata?.labels?.[QUARANTINE_LABEL]).toBe(pod.metadata!.uid);
    expect(isolated?.metadata?.annotations).toMatchObject({ 'falco-response.dev/isolated-by-rule': 'Terminal shell in container', 'falco-response.dev/quarantine-policy': 'falco-quarantine-alpine' });

    const policy = await api.networking.readNamespacedNetworkPolicy({ namespace: ns, name: 'falco-quarantine-alpine' });
    expect(policy.spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.egress ?? []).toEqual([]);
    expect(policy.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', name: 'alpine', uid: pod.metadata!.uid });
    // What the policy selects, asked of the API server with its own selector.
    const selector = Object.entries(policy.spec!.podSelector!.matchLabels!).map(([k, v]) => `${k}=${v}`).join(',');
    const selected = await api.core.listNamespacedPod({ namespace: ns, labelSelector: selector });
    expect(selected.items.map((p) => p.metadata?.name)).toEqual(['alpine']);
    const managed = await api.networking.listNamespacedNetworkPolicy({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=falco-response-functions' });
    expect(managed.items).toHaveLength(1);

    expect(writes(fn, 'networkpolicies')).toBe(1);
    expect(writes(fn, 'pods')).toBe(1);
    expect((await eventsIn(api, ns)).map((e) => e.reason)).toEqual(['Isolated']);

    const again = await start();
    expect((await send(again, alertFor(ns, 'alpine', id.short))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-isolated' });
    expect((await send(fn, alertFor(ns, 'alpine', id.short))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-handled' });
    expect(writes(fn)).toBe(3); // policy, pod label, Event: nothing more after the repeats
  });

  it('says the quarantine is incomplete when another policy selects the pod and allows traffic, naming it', async () => {
    const fn = await start();
    await createPod(api, ns, 'alpine', { labels: { app: 'web' } });
    await api.networking.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: 'allow-web-ingress' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] } },
    });
    const { decision } = await send(fn, alertFor(ns, 'alpine'));
    expect(decision).toMatchObject({ outcome: 'acted', warnings: [expect.stringMatching(/quarantine incomplete: NetworkPolicy allow-web-ingress also selects the pod and allows ingress/)] });
    const events = await eventsIn(api, ns);
    expect(events).toEqual([expect.objectContaining({ reason: 'IsolatedIncompletely', type: 'Warning', note: expect.stringContaining('allow-web-ingress') })]);
  });

  it('restores the deny-all when the policy of that name was edited', async () => {
    const fn = await start();
    const pod = await createPod(api, ns, 'alpine');
    await api.networking.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: 'falco-quarantine-alpine' }, spec: { podSelector: { matchLabels: { [QUARANTINE_LABEL]: pod.metadata!.uid! } }, policyTypes: ['Ingress', 'Egress'], egress: [{}] } },
    });
    expect((await send(fn, alertFor(ns, 'alpine'))).decision).toMatchObject({ outcome: 'acted' });
    const policy = await api.networking.readNamespacedNetworkPolicy({ namespace: ns, name: 'falco-quarantine-alpine' });
    expect(policy.spec?.egress ?? []).toEqual([]);
  });

  it('guard rails write nothing: protected namespace, opt-out, dry-run, stale target', async () => {
    const fn = await start({ PROTECTED_NAMESPACES: ns });
    await createPod(api, ns, 'alpine', { containerId: newContainerId().full });
    expect((await send(fn, alertFor(ns, 'alpine'))).decision.reason).toBe('protected-namespace');
    const dry = await start({ DRY_RUN: 'true' });
    expect((await send(dry, alertFor(ns, 'alpine'))).decision).toMatchObject({ outcome: 'dry-run', reason: 'isolate' });
    const normal = await start();
    expect((await send(normal, alertFor(ns, 'alpine', newContainerId().short))).decision.reason).toBe('stale-target');
    await createPod(api, ns, 'ignored', { annotations: { 'falco-response.dev/ignore': 'true' } });
    expect((await send(normal, alertFor(ns, 'ignored'))).decision.reason).toBe('opted-out');
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, since })).toBe(0);
    expect((await api.networking.listNamespacedNetworkPolicy({ namespace: ns })).items).toEqual([]);
  });
});
