// isolate-pod against the reacting cluster: the NetworkPolicy the server accepted, what it
// selects, and the writes counted from the audit log. What follows (garbage collection,
// replacements, rollouts) is in test/integration/reacting/isolate-pod-consequences.test.ts.
import { describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL } from '../../../functions/isolate-pod/quarantine.ts';
import { isolatePodSpec } from '../../../functions/isolate-pod/spec.ts';
import { countWrites } from '../../../testbed/cluster/audit.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { randomBytes } from 'node:crypto';
import { createPod, functionEventsIn as eventsIn, podExists, shortContainerId } from '../../../testbed/workloads/pods.ts';
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';

const bed = useFunctionTestBed(isolatePodSpec);
const start = (env: Record<string, string> = {}) => bed.start(env);
const send = (fn: FunctionUnderTest, alert: unknown) => bed.send(fn, alert);
const writes = (fn: FunctionUnderTest, resource?: string) =>
  countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource, since: bed.since, succeededOnly: true });

describe('isolate-pod', () => {
  it('quarantines exactly that pod with a deny-all NetworkPolicy, labels and annotates it, records an Event; a repeat is a no-op', async () => {
    const fn = await start();
    const pod = await createPod(bed.api, bed.ns, 'alpine', { labels: { app: 'web' } });
    const id = { short: shortContainerId(pod) };
    await createPod(bed.api, bed.ns, 'neighbour', { labels: { app: 'web' } });
    const { status, decision } = await send(fn, alertFor(bed.ns, 'alpine', id.short));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'isolated', warnings: [] });

    const isolated = await podExists(bed.api, bed.ns, 'alpine');
    expect(isolated?.metadata?.labels?.[QUARANTINE_LABEL]).toBe(pod.metadata!.uid);
    expect(isolated?.metadata?.annotations).toMatchObject({
      'falco-response.dev/isolated-by-rule': 'Terminal shell in container',
      'falco-response.dev/quarantine-policy': 'falco-quarantine-alpine',
    });

    const policy = await bed.api.networking.readNamespacedNetworkPolicy({ namespace: bed.ns, name: 'falco-quarantine-alpine' });
    expect(policy.spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.egress ?? []).toEqual([]);
    expect(policy.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', name: 'alpine', uid: pod.metadata!.uid });
    // What the policy selects, asked of the API server with its own selector.
    const selector = Object.entries(policy.spec!.podSelector!.matchLabels!)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const selected = await bed.api.core.listNamespacedPod({ namespace: bed.ns, labelSelector: selector });
    expect(selected.items.map((p) => p.metadata?.name)).toEqual(['alpine']);
    const managed = await bed.api.networking.listNamespacedNetworkPolicy({
      namespace: bed.ns,
      labelSelector: 'app.kubernetes.io/managed-by=falco-response-functions',
    });
    expect(managed.items).toHaveLength(1);

    expect(writes(fn, 'networkpolicies')).toBe(1);
    expect(writes(fn, 'pods')).toBe(1);
    expect((await eventsIn(bed.api, bed.ns)).map((e) => e.reason)).toEqual(['Isolated']);

    const again = await start();
    expect((await send(again, alertFor(bed.ns, 'alpine', id.short))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'already-isolated',
    });
    expect((await send(fn, alertFor(bed.ns, 'alpine', id.short))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'already-handled',
    });
    expect(writes(fn)).toBe(3); // policy, pod label, Event: nothing more after the repeats
  });

  it('says the quarantine is incomplete when another policy selects the pod and allows traffic, naming it', async () => {
    const fn = await start();
    await createPod(bed.api, bed.ns, 'alpine', { labels: { app: 'web' } });
    await bed.api.networking.createNamespacedNetworkPolicy({
      namespace: bed.ns,
      body: {
        metadata: { name: 'allow-web-ingress' },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] },
      },
    });
    const { decision } = await send(fn, alertFor(bed.ns, 'alpine'));
    expect(decision).toMatchObject({
      outcome: 'acted',
      warnings: [expect.stringMatching(/quarantine incomplete: NetworkPolicy allow-web-ingress also selects the pod and allows ingress/)],
    });
    const events = await eventsIn(bed.api, bed.ns);
    expect(events).toEqual([
      expect.objectContaining({ reason: 'IsolatedIncompletely', type: 'Warning', note: expect.stringContaining('allow-web-ingress') }),
    ]);
  });

  it('restores the deny-all when the policy of that name was edited', async () => {
    const fn = await start();
    const pod = await createPod(bed.api, bed.ns, 'alpine');
    await bed.api.networking.createNamespacedNetworkPolicy({
      namespace: bed.ns,
      body: {
        metadata: { name: 'falco-quarantine-alpine' },
        spec: {
          podSelector: { matchLabels: { [QUARANTINE_LABEL]: pod.metadata!.uid! } },
          policyTypes: ['Ingress', 'Egress'],
          egress: [{}],
        },
      },
    });
    expect((await send(fn, alertFor(bed.ns, 'alpine'))).decision).toMatchObject({ outcome: 'acted' });
    const policy = await bed.api.networking.readNamespacedNetworkPolicy({ namespace: bed.ns, name: 'falco-quarantine-alpine' });
    expect(policy.spec?.egress ?? []).toEqual([]);
  });

  it('guard rails write nothing: protected namespace, opt-out, dry-run, stale target', async () => {
    const fn = await start({ PROTECTED_NAMESPACES: bed.ns });
    await createPod(bed.api, bed.ns, 'alpine');
    expect((await send(fn, alertFor(bed.ns, 'alpine'))).decision.reason).toBe('protected-namespace');
    const dry = await start({ DRY_RUN: 'true' });
    expect((await send(dry, alertFor(bed.ns, 'alpine'))).decision).toMatchObject({ outcome: 'dry-run', reason: 'isolate' });
    const normal = await start();
    expect((await send(normal, alertFor(bed.ns, 'alpine', randomBytes(6).toString('hex')))).decision.reason).toBe('stale-target');
    await createPod(bed.api, bed.ns, 'ignored', { annotations: { 'falco-response.dev/ignore': 'true' } });
    expect((await send(normal, alertFor(bed.ns, 'ignored'))).decision.reason).toBe('opted-out');
    expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since })).toBe(0);
    expect((await bed.api.networking.listNamespacedNetworkPolicy({ namespace: bed.ns })).items).toEqual([]);
  });
});
