// delete-pod against a real kube-apiserver: writes are counted from the API server's audit
// log by the function's own ServiceAccount identity, not taken from the function's report.
import { describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { loadClient } from '../../../shared/k8s/load-client.ts';
import { countWrites, readAudit } from '../../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../../testbed/cluster/accounts.ts';
import { kubeConfigFor } from '../../../testbed/cluster/credentials.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { createDaemonSetPod, createDeploymentChain, createPod, createStatefulSetPod, eventsIn, newContainerId, podExists } from '../../../testbed/workloads/hand-made.ts';
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';

const bed = useFunctionTestBed(deletePodSpec);
const start = (env: Record<string, string> = {}) => bed.start(env);
const send = (fn: FunctionUnderTest, alert: unknown) => bed.send(fn, alert);
const writesBy = (fn: FunctionUnderTest, resource = 'pods') => countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource, since: bed.since, succeededOnly: true });
const allWritesBy = (fn: FunctionUnderTest) => countWrites(bed.cluster, { user: fn.identity, since: bed.since });

describe('delete-pod', () => {
  it('deletes the pod a real Falco alert names, records an Event, and a second alert is a no-op', async () => {
    const fn = await start();
    const id = newContainerId();
    await createPod(bed.api, bed.ns, 'alpine', { containerId: id.full });
    const first = await send(fn, alertFor(bed.ns, 'alpine', id.short));
    expect(first.status).toBe(200);
    expect(first.decision).toMatchObject({ outcome: 'acted', reason: 'deleted', target: { namespace: bed.ns, pod: 'alpine' } });
    expect(first.decision.warnings).toEqual([expect.stringMatching(/bare pod/)]);
    expect(first.decision.details.evidence.containers[0]).toMatchObject({ image: 'alpine:3.20', imageID: 'docker.io/library/alpine@sha256:beefed' });
    expect(await podExists(bed.api, bed.ns, 'alpine')).toBeUndefined();
    expect(writesBy(fn)).toBe(1);
    const events = await eventsIn(bed.api, bed.ns);
    expect(events).toEqual([expect.objectContaining({ reason: 'Deleted', action: 'Delete', regarding: expect.objectContaining({ kind: 'Pod', name: 'alpine' }) })]);
    expect(events[0]!.note).toMatch(/bare pod.*Terminal shell in container.*imageID|images: app=docker/);

    const second = await send(fn, alertFor(bed.ns, 'alpine', id.short));
    expect(second.status).toBe(200);
    expect(second.decision).toMatchObject({ outcome: 'skipped', reason: 'already-handled' });
    // A fresh instance (no memory) asks the API server and finds the pod gone.
    const other = await start();
    expect((await send(other, alertFor(bed.ns, 'alpine', id.short))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
    // Both instances act as the same ServiceAccount: one delete in all.
    expect(writesBy(fn)).toBe(1);
  });

  it('deletes a Deployment\'s pod and says its ReplicaSet recreates it', async () => {
    const fn = await start();
    const { podName } = await createDeploymentChain(bed.api, bed.ns, 'web');
    const { decision } = await send(fn, alertFor(bed.ns, podName));
    expect(decision).toMatchObject({ outcome: 'acted', details: { owner: 'ReplicaSet/web-5d8f7c9b6 → Deployment/web' } });
    expect(await podExists(bed.api, bed.ns, podName)).toBeUndefined();
  });

  describe('guard rails: nothing is written', () => {
    it('protected namespace (even in another letter case)', async () => {
      const fn = await start({ PROTECTED_NAMESPACES: `${bed.ns},kube-system` });
      await createPod(bed.api, bed.ns, 'alpine');
      for (const namespace of [bed.ns, bed.ns.toUpperCase()]) {
        expect((await send(fn, alertFor(namespace, 'alpine'))).decision).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
      }
      expect(await podExists(bed.api, bed.ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('opt-out label on the pod, opt-out on the namespace, ignore-until annotation', async () => {
      const fn = await start();
      await createPod(bed.api, bed.ns, 'labelled', { labels: { 'falco-response.dev/ignore': 'true' } });
      await createPod(bed.api, bed.ns, 'debugging', { annotations: { 'falco-response.dev/ignore-until': new Date(Date.now() + 3600_000).toISOString() } });
      for (const pod of ['labelled', 'debugging']) expect((await send(fn, alertFor(bed.ns, pod))).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
      const optedOutNs = await createTestNamespace(bed.cluster, 'opted-out');
      await bed.api.core.patchNamespace({ name: optedOutNs, body: [{ op: 'add', path: '/metadata/labels', value: { 'falco-response.dev/ignore': 'true' } }] });
      await createPod(bed.api, optedOutNs, 'alpine');
      expect((await send(fn, alertFor(optedOutNs, 'alpine'))).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out', message: expect.stringMatching(/namespace/) });
      expect(await podExists(bed.api, optedOutNs, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('dry-run decides and reports everything but changes nothing', async () => {
      const fn = await start({ DRY_RUN: 'true' });
      await createPod(bed.api, bed.ns, 'alpine');
      const { decision } = await send(fn, alertFor(bed.ns, 'alpine'));
      expect(decision).toMatchObject({ outcome: 'dry-run', reason: 'delete', message: expect.stringMatching(/^DRY_RUN: would delete pod/) });
      expect(await podExists(bed.api, bed.ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('stale target: the pod no longer runs the container the alert saw', async () => {
      const fn = await start();
      await createPod(bed.api, bed.ns, 'web-0', { containerId: newContainerId().full });
      expect((await send(fn, alertFor(bed.ns, 'web-0', newContainerId().short))).decision).toMatchObject({ outcome: 'skipped', reason: 'stale-target' });
      expect(await podExists(bed.api, bed.ns, 'web-0')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('alerts older than MAX_ALERT_AGE_SECONDS', async () => {
      const fn = await start({ MAX_ALERT_AGE_SECONDS: '60' });
      await createPod(bed.api, bed.ns, 'alpine');
      const old = alertFor(bed.ns, 'alpine', undefined, { time: new Date(Date.now() - 120_000).toISOString() });
      expect((await send(fn, old)).decision).toMatchObject({ outcome: 'skipped', reason: 'alert-too-old' });
      expect(allWritesBy(fn)).toBe(0);
    });

    it('owner kinds: StatefulSet and DaemonSet pods skipped when configured, bare pods too', async () => {
      const fn = await start({ SKIP_OWNER_KINDS: 'StatefulSet,DaemonSet,Standalone' });
      const { podName: statefulPod } = await createStatefulSetPod(bed.api, bed.ns, 'db');
      const { podName: daemonPod } = await createDaemonSetPod(bed.api, bed.ns, 'agent');
      await createPod(bed.api, bed.ns, 'bare');
      for (const [pod, kind] of [[statefulPod, 'StatefulSet'], [daemonPod, 'DaemonSet'], ['bare', 'Standalone']] as const) {
        expect((await send(fn, alertFor(bed.ns, pod))).decision).toMatchObject({ outcome: 'skipped', reason: 'owner-kind-skipped', message: expect.stringContaining(kind) });
      }
      expect(allWritesBy(fn)).toBe(0);
    });

    it('minimum ready replicas: keeps the last ready pod of a Deployment', async () => {
      const fn = await start({ MIN_READY_REPLICAS: '1' });
      const { podName } = await createDeploymentChain(bed.api, bed.ns, 'web', { replicas: 2, readyReplicas: 1, containerId: newContainerId().full });
      expect((await send(fn, alertFor(bed.ns, podName))).decision).toMatchObject({ outcome: 'skipped', reason: 'min-ready-replicas', message: expect.stringMatching(/1 ready of 2/) });
      const pct = await start({ MIN_READY_REPLICAS: '50%' });
      const ns2 = await createTestNamespace(bed.cluster, 'min-ready');
      const { podName: other } = await createDeploymentChain(bed.api, ns2, 'api', { replicas: 4, readyReplicas: 4, containerId: newContainerId().full });
      expect((await send(pct, alertFor(ns2, other))).decision).toMatchObject({ outcome: 'acted' });
      expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since })).toBe(0);
    });

    it('blast-radius limit: at most MAX_ACTIONS deletes per window, the rest dry-run with an alarm', async () => {
      const fn = await start({ MAX_ACTIONS: '2', ACTIONS_WINDOW_SECONDS: '600' });
      for (const pod of ['p1', 'p2', 'p3', 'p4']) await createPod(bed.api, bed.ns, pod);
      const decisions = [];
      for (const pod of ['p1', 'p2', 'p3', 'p4']) decisions.push((await send(fn, alertFor(bed.ns, pod))).decision);
      expect(decisions.map((d) => d.outcome)).toEqual(['acted', 'acted', 'dry-run', 'dry-run']);
      expect(decisions[3]).toMatchObject({ reason: 'blast-radius-limit', warnings: expect.arrayContaining([expect.stringMatching(/blast-radius limit reached/)]) });
      expect(writesBy(fn)).toBe(2);
      expect(await podExists(bed.api, bed.ns, 'p3')).toBeDefined();
      expect((await eventsIn(bed.api, bed.ns)).filter((e) => e.reason === 'BlastRadiusLimit')).toHaveLength(2);
      expect(await fn.metrics.registry.getSingleMetricAsString('falco_response_blast_radius_limit_reached_total')).toMatch(/ 2$/m);
    });

    it('an alert naming a pod that does not exist, or no pod at all, or an invalid name', async () => {
      const fn = await start();
      expect((await send(fn, alertFor(bed.ns, 'ghost'))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
      const noPod = alertFor(bed.ns, 'x');
      delete noPod.output_fields['k8s.pod.name'];
      expect((await send(fn, noPod)).decision).toMatchObject({ outcome: 'skipped', reason: 'no-target' });
      expect((await send(fn, alertFor(bed.ns, 'Not_A_Name'))).decision).toMatchObject({ outcome: 'skipped', reason: 'invalid-target' });
      expect(allWritesBy(fn)).toBe(0);
    });
  });

  async function functionKubeClient() {
    const module = await loadClient();
    const { KubeClient } = await import('../../../shared/k8s/kube-client.ts');
    return new KubeClient(module, kubeConfigFor(bed.cluster, bed.token), { timeoutMs: 3000, retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, controller: 'test', instance: 'test' });
  }

  it('the resourceVersion precondition: a pod that only changed since it was read is deleted at its new version', async () => {
    const fn = await start();
    const read = await createPod(bed.api, bed.ns, 'changed');
    await bed.api.core.replaceNamespacedPod({ namespace: bed.ns, name: 'changed', body: { ...read, metadata: { ...read.metadata, labels: { touched: 'yes' } } } });
    const kube = await functionKubeClient();
    expect(await kube.deletePod(bed.ns, 'changed', { uid: read.metadata!.uid!, resourceVersion: read.metadata!.resourceVersion }, undefined)).toBe('deleted');
    expect(await podExists(bed.api, bed.ns, 'changed')).toBeUndefined();
    const deletes = readAudit(bed.cluster, { user: fn.identity, namespace: bed.ns, verbs: ['delete'], resource: 'pods', since: bed.since }).filter((e) => e.objectRef?.name === 'changed');
    expect(deletes.map((e) => e.responseStatus?.code)).toEqual([409, 200]);
  });

  it('the resourceVersion precondition: a second delete of a pod already terminating is refused by the server (409), not accepted again', async () => {
    await start();
    // Scheduled to a node, so deletion is graceful and the pod stays, terminating, as on a real cluster.
    const read = await bed.api.core.createNamespacedPod({ namespace: bed.ns, body: { metadata: { name: 'terminating' }, spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'alpine:3.20' }] } } });
    await bed.api.core.deleteNamespacedPod({ namespace: bed.ns, name: 'terminating', gracePeriodSeconds: 300 });
    const kube = await functionKubeClient();
    expect(await kube.deletePod(bed.ns, 'terminating', { uid: read.metadata!.uid!, resourceVersion: read.metadata!.resourceVersion }, undefined)).toBe('already-terminating');
    expect(await kube.deletePod(bed.ns, 'terminating', { uid: read.metadata!.uid! }, undefined)).toBe('deleted'); // without it, the server accepts a second delete
  });

  it('the UID precondition protects a pod recreated under the same name', async () => {
    const fn = await start();
    const old = await createPod(bed.api, bed.ns, 'web-0');
    await bed.api.core.deleteNamespacedPod({ namespace: bed.ns, name: 'web-0' });
    const replacement = await createPod(bed.api, bed.ns, 'web-0');
    // The wrapper, with the function's own identity, deletes by the UID it read earlier.
    const kube = await functionKubeClient();
    expect(await kube.deletePod(bed.ns, 'web-0', { uid: old.metadata!.uid! }, undefined)).toBe('replaced');
    expect((await podExists(bed.api, bed.ns, 'web-0'))?.metadata?.uid).toBe(replacement.metadata!.uid);
    expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource: 'pods', since: bed.since, succeededOnly: true })).toBe(0);
  });
});
