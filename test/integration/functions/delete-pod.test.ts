// delete-pod against the reacting cluster (real kube-apiserver, controllers, scheduler, kwok):
// writes are counted from the API server's audit log by the function's own ServiceAccount
// identity, not taken from the function's report. What follows a delete (replacements,
// grace periods, budgets) is in test/integration/reacting/delete-pod-consequences.test.ts.
import { describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { loadClient } from '../../../shared/k8s/load-client.ts';
import { countWrites, readAudit } from '../../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../../testbed/cluster/accounts.ts';
import { kubeConfigFor } from '../../../testbed/cluster/credentials.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { createPod, functionEventsIn, podExists, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';
import {
  createDaemonSet,
  createDeployment,
  createStatefulSet,
  markUnready,
  waitForDeploymentReady,
} from '../../../testbed/workloads/controllers.ts';
import { randomBytes } from 'node:crypto';
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';

const bed = useFunctionTestBed(deletePodSpec);
const start = (env: Record<string, string> = {}) => bed.start(env);
const send = (fn: FunctionUnderTest, alert: unknown) => bed.send(fn, alert);
const writesBy = (fn: FunctionUnderTest, resource = 'pods') =>
  countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource, since: bed.since, succeededOnly: true });
const allWritesBy = (fn: FunctionUnderTest) => countWrites(bed.cluster, { user: fn.identity, since: bed.since });

describe('delete-pod', () => {
  it('deletes the pod a real Falco alert names, records an Event, and a second alert is a no-op', async () => {
    const fn = await start();
    const pod = await createPod(bed.api, bed.ns, 'alpine');
    const id = { short: shortContainerId(pod) };
    const first = await send(fn, alertFor(bed.ns, 'alpine', id.short));
    expect(first.status).toBe(200);
    expect(first.decision).toMatchObject({ outcome: 'acted', reason: 'deleted', target: { namespace: bed.ns, pod: 'alpine' } });
    expect(first.decision.warnings).toEqual([expect.stringMatching(/bare pod/)]);
    expect(first.decision.details.evidence.containers[0]).toMatchObject({
      image: 'alpine:3.20',
      imageID: pod.status!.containerStatuses![0]!.imageID,
    });
    await waitForPodGone(bed.api, bed.ns, 'alpine');
    expect(writesBy(fn)).toBe(1);
    const events = await functionEventsIn(bed.api, bed.ns);
    expect(events).toEqual([
      expect.objectContaining({ reason: 'Deleted', action: 'Delete', regarding: expect.objectContaining({ kind: 'Pod', name: 'alpine' }) }),
    ]);
    expect(events[0]!.note).toMatch(/bare pod.*Terminal shell in container.*images: app=alpine:3\.20@sha256:/);

    const second = await send(fn, alertFor(bed.ns, 'alpine', id.short));
    expect(second.status).toBe(200);
    expect(second.decision).toMatchObject({ outcome: 'skipped', reason: 'already-handled' });
    // A fresh instance (no memory) asks the API server and finds the pod gone.
    const other = await start();
    expect((await send(other, alertFor(bed.ns, 'alpine', id.short))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'already-gone',
    });
    // Both instances act as the same ServiceAccount: one delete in all.
    expect(writesBy(fn)).toBe(1);
  });

  it("deletes a Deployment's pod and says its ReplicaSet recreates it", async () => {
    const fn = await start();
    const { pods } = await createDeployment(bed.api, bed.ns, 'web');
    const podName = pods[0]!.metadata!.name!;
    const replicaSet = pods[0]!.metadata!.ownerReferences![0]!.name;
    const { decision } = await send(fn, alertFor(bed.ns, podName));
    expect(decision).toMatchObject({
      outcome: 'acted',
      details: { owner: `ReplicaSet/${replicaSet} → Deployment/web`, consequence: 'recreated' },
    });
    await waitForPodGone(bed.api, bed.ns, podName);
  });

  describe('guard rails: nothing is written', () => {
    it('protected namespace (even in another letter case)', async () => {
      const fn = await start({ PROTECTED_NAMESPACES: `${bed.ns},kube-system` });
      await createPod(bed.api, bed.ns, 'alpine');
      for (const namespace of [bed.ns, bed.ns.toUpperCase()]) {
        expect((await send(fn, alertFor(namespace, 'alpine'))).decision).toMatchObject({
          outcome: 'skipped',
          reason: 'protected-namespace',
        });
      }
      expect(await podExists(bed.api, bed.ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('opt-out label on the pod, opt-out on the namespace, ignore-until annotation', async () => {
      const fn = await start();
      await createPod(bed.api, bed.ns, 'labelled', { labels: { 'falco-response.dev/ignore': 'true' } });
      await createPod(bed.api, bed.ns, 'debugging', {
        annotations: { 'falco-response.dev/ignore-until': new Date(Date.now() + 3600_000).toISOString() },
      });
      for (const pod of ['labelled', 'debugging'])
        expect((await send(fn, alertFor(bed.ns, pod))).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
      const optedOutNs = await createTestNamespace(bed.cluster, 'opted-out', { 'falco-response.dev/ignore': 'true' });
      await createPod(bed.api, optedOutNs, 'alpine');
      expect((await send(fn, alertFor(optedOutNs, 'alpine'))).decision).toMatchObject({
        outcome: 'skipped',
        reason: 'opted-out',
        message: expect.stringMatching(/namespace/),
      });
      expect(await podExists(bed.api, optedOutNs, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('dry-run decides and reports everything but changes nothing', async () => {
      const fn = await start({ DRY_RUN: 'true' });
      await createPod(bed.api, bed.ns, 'alpine');
      const { decision } = await send(fn, alertFor(bed.ns, 'alpine'));
      expect(decision).toMatchObject({
        outcome: 'dry-run',
        reason: 'delete',
        message: expect.stringMatching(/^DRY_RUN: would delete pod/),
      });
      expect(await podExists(bed.api, bed.ns, 'alpine')).toBeDefined();
      expect(allWritesBy(fn)).toBe(0);
    });

    it('stale target: the pod no longer runs the container the alert saw', async () => {
      const fn = await start();
      await createPod(bed.api, bed.ns, 'web-0');
      expect((await send(fn, alertFor(bed.ns, 'web-0', randomBytes(6).toString('hex')))).decision).toMatchObject({
        outcome: 'skipped',
        reason: 'stale-target',
      });
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
      const statefulPod = (await createStatefulSet(bed.api, bed.ns, 'db', { replicas: 1 })).pods[0]!.metadata!.name!;
      const daemonPod = (await createDaemonSet(bed.api, bed.ns, 'agent', bed.cluster.nodes.length)).pods[0]!.metadata!.name!;
      await createPod(bed.api, bed.ns, 'bare');
      for (const [pod, kind] of [
        [statefulPod, 'StatefulSet'],
        [daemonPod, 'DaemonSet'],
        ['bare', 'Standalone'],
      ] as const) {
        expect((await send(fn, alertFor(bed.ns, pod))).decision).toMatchObject({
          outcome: 'skipped',
          reason: 'owner-kind-skipped',
          message: expect.stringContaining(kind),
        });
      }
      expect(allWritesBy(fn)).toBe(0);
    });

    it('minimum ready replicas: keeps the last ready pod of a Deployment', async () => {
      const fn = await start({ MIN_READY_REPLICAS: '1' });
      const { pods } = await createDeployment(bed.api, bed.ns, 'web', { replicas: 2 });
      // kwok turns one replica unready; the Deployment controller reports 1 ready of 2.
      await markUnready(bed.api, bed.ns, pods[1]!.metadata!.name!);
      await waitForDeploymentReady(bed.api, bed.ns, 'web', 1);
      expect((await send(fn, alertFor(bed.ns, pods[0]!.metadata!.name!))).decision).toMatchObject({
        outcome: 'skipped',
        reason: 'min-ready-replicas',
        message: expect.stringMatching(/1 ready of 2/),
      });
      const pct = await start({ MIN_READY_REPLICAS: '50%' });
      const ns2 = await createTestNamespace(bed.cluster, 'min-ready');
      const { pods: others } = await createDeployment(bed.api, ns2, 'api', { replicas: 4 });
      await waitForDeploymentReady(bed.api, ns2, 'api', 4);
      expect((await send(pct, alertFor(ns2, others[0]!.metadata!.name!))).decision).toMatchObject({ outcome: 'acted' });
      expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since })).toBe(0);
    });

    it('blast-radius limit: at most MAX_ACTIONS deletes per window, the rest dry-run with an alarm', async () => {
      const fn = await start({ MAX_ACTIONS: '2', ACTIONS_WINDOW_SECONDS: '600' });
      await Promise.all(['p1', 'p2', 'p3', 'p4'].map((pod) => createPod(bed.api, bed.ns, pod)));
      const decisions = [];
      for (const pod of ['p1', 'p2', 'p3', 'p4']) decisions.push((await send(fn, alertFor(bed.ns, pod))).decision);
      expect(decisions.map((d) => d.outcome)).toEqual(['acted', 'acted', 'dry-run', 'dry-run']);
      expect(decisions[3]).toMatchObject({
        reason: 'blast-radius-limit',
        warnings: expect.arrayContaining([expect.stringMatching(/blast-radius limit reached/)]),
      });
      expect(writesBy(fn)).toBe(2);
      expect(await podExists(bed.api, bed.ns, 'p3')).toBeDefined();
      expect((await functionEventsIn(bed.api, bed.ns)).filter((e) => e.reason === 'BlastRadiusLimit')).toHaveLength(2);
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
    return new KubeClient(module, kubeConfigFor(bed.cluster, bed.token), {
      timeoutMs: 3000,
      retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 },
      controller: 'test',
      instance: 'test',
    });
  }

  it('the resourceVersion precondition: a pod that only changed since it was read is deleted at its new version', async () => {
    const fn = await start();
    const read = await createPod(bed.api, bed.ns, 'changed');
    await bed.api.core.replaceNamespacedPod({
      namespace: bed.ns,
      name: 'changed',
      body: { ...read, metadata: { ...read.metadata, labels: { touched: 'yes' } } },
    });
    const kube = await functionKubeClient();
    expect(
      await kube.deletePod(bed.ns, 'changed', { uid: read.metadata!.uid!, resourceVersion: read.metadata!.resourceVersion }, undefined),
    ).toBe('deleted');
    await waitForPodGone(bed.api, bed.ns, 'changed');
    const deletes = readAudit(bed.cluster, {
      user: fn.identity,
      namespace: bed.ns,
      verbs: ['delete'],
      resource: 'pods',
      since: bed.since,
    }).filter((e) => e.objectRef?.name === 'changed');
    expect(deletes.map((e) => e.responseStatus?.code)).toEqual([409, 200]);
  });

  it('the resourceVersion precondition: a second delete of a pod already terminating is refused by the server (409), not accepted again', async () => {
    await start();
    // Running on a kwok node, so deletion is graceful: the pod stays, terminating, until its grace period ends.
    const read = await createPod(bed.api, bed.ns, 'terminating', { terminationGracePeriodSeconds: 300 });
    await bed.api.core.deleteNamespacedPod({ namespace: bed.ns, name: 'terminating', gracePeriodSeconds: 300 });
    const kube = await functionKubeClient();
    expect(
      await kube.deletePod(bed.ns, 'terminating', { uid: read.metadata!.uid!, resourceVersion: read.metadata!.resourceVersion }, undefined),
    ).toBe('already-terminating');
    expect(await kube.deletePod(bed.ns, 'terminating', { uid: read.metadata!.uid! }, undefined)).toBe('deleted'); // without it, the server accepts a second delete
  });

  it('the UID precondition protects a pod recreated under the same name', async () => {
    const fn = await start();
    const old = await createPod(bed.api, bed.ns, 'web-0');
    await bed.api.core.deleteNamespacedPod({ namespace: bed.ns, name: 'web-0', gracePeriodSeconds: 0 });
    await waitForPodGone(bed.api, bed.ns, 'web-0');
    const replacement = await createPod(bed.api, bed.ns, 'web-0');
    // The wrapper, with the function's own identity, deletes by the UID it read earlier.
    const kube = await functionKubeClient();
    expect(await kube.deletePod(bed.ns, 'web-0', { uid: old.metadata!.uid! }, undefined)).toBe('replaced');
    expect((await podExists(bed.api, bed.ns, 'web-0'))?.metadata?.uid).toBe(replacement.metadata!.uid);
    expect(
      countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource: 'pods', since: bed.since, succeededOnly: true }),
    ).toBe(0);
  });
});
