// What follows delete-pod on the reacting cluster: the controllers that recreate (or do not
// recreate) the pod, graceful deletion as a kubelet (kwok) finishes it, MIN_READY_REPLICAS on
// the ready counts the controllers report, and PodDisruptionBudgets. The function's writes
// are counted from the audit log by its identity; the controllers' writes are seen beside them.
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { CONSEQUENCE_ANNOTATION, deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { countWrites, writesOf } from '../../../testbed/cluster/audit.ts';
import { eventually } from '../../../testbed/cluster/probes.ts';
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { CONTROLLER } from '../../../testbed/reacting/identities.ts';
import {
  createDaemonSet,
  createDeployment,
  createJob,
  createReplicaSet,
  createReplicationController,
  createStatefulSet,
  markUnready,
  waitForDeploymentReady,
  waitForPods,
  type Workload,
} from '../../../testbed/workloads/controllers.ts';
import { createPod, functionEventsIn, podExists, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(deletePodSpec);
const fnWrites = (fn: FunctionUnderTest, resource?: string) =>
  countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource, since: bed.since, succeededOnly: true });
const alertOn = (pod: V1Pod) => alertFor(bed.ns, pod.metadata!.name!, shortContainerId(pod));
// Pods a controller created since a moment. Counted from the delete on, and as "at least": a
// controller may also replace pods for reasons of its own on a loaded machine.
const podCreatesBy = (user: string, since: number) =>
  writesOf(bed.cluster, { user, namespace: bed.ns, resource: 'pods', verbs: ['create'], since, succeededOnly: true });

/** Deletes `victim` through the function and returns the pods of the workload once it settled again. */
async function deleteAndWaitForReplacement(fn: FunctionUnderTest, workload: Workload, victim: V1Pod, expectedPods: number) {
  const sentAt = Date.now();
  const { status, decision } = await bed.send(fn, alertOn(victim));
  expect(status).toBe(200);
  expect(decision).toMatchObject({ outcome: 'acted', reason: 'deleted' });
  await waitForPodGone(bed.api, bed.ns, victim.metadata!.name!, victim.metadata!.uid);
  const pods = await waitForPods(bed.api, bed.ns, workload.selector, expectedPods);
  return { decision, pods, sentAt, replacement: pods.find((p) => !workload.pods.some((old) => old.metadata!.uid === p.metadata!.uid))! };
}

describe('delete-pod on the reacting cluster: what Kubernetes does next', () => {
  it("a Deployment's pod: gone, the ReplicaSet makes a replacement with a new UID and container id, the Deployment is back to 2 ready; replaying the alert writes nothing", async () => {
    const fn = await bed.start();
    const web = await createDeployment(bed.api, bed.ns, 'web', { replicas: 2 });
    const victim = web.pods[0]!;
    const { decision, pods, replacement, sentAt } = await deleteAndWaitForReplacement(fn, web, victim, 2);
    expect(decision.details.consequence).toBe('recreated');
    expect(replacement.metadata!.name).not.toBe(victim.metadata!.name);
    expect(replacement.metadata!.uid).not.toBe(victim.metadata!.uid);
    expect(shortContainerId(replacement)).not.toBe(shortContainerId(victim));
    expect(pods).toHaveLength(2);
    await waitForDeploymentReady(bed.api, bed.ns, 'web', 2);
    // The replacement was made by the ReplicaSet controller, under its own identity.
    expect(podCreatesBy(CONTROLLER.replicaSet, sentAt).length).toBeGreaterThanOrEqual(1);
    const [event] = (await functionEventsIn(bed.api, bed.ns)).filter((e) => e.reason === 'Deleted');
    expect(event?.metadata?.annotations?.[CONSEQUENCE_ANNOTATION]).toBe('recreated');
    expect(event?.note).toMatch(/Its Deployment will recreate it/);
    expect(fnWrites(fn, 'pods')).toBe(1);

    // The same alert again, from an instance without memory: the pod it names is gone.
    const replay = await bed.start();
    expect((await bed.send(replay, alertOn(victim))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
    // The old container id aimed at the replacement: not the container Falco saw.
    const aimed = alertFor(bed.ns, replacement.metadata!.name!, shortContainerId(victim));
    expect((await bed.send(replay, aimed)).decision).toMatchObject({ outcome: 'skipped', reason: 'stale-target' });
    expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since })).toBe(2); // the delete and its Event, nothing since
  });

  it('a bare pod stays gone: nothing creates a pod in its namespace afterwards', async () => {
    const fn = await bed.start();
    const pod = await createPod(bed.api, bed.ns, 'toolbox');
    const { decision } = await bed.send(fn, alertOn(pod));
    expect(decision).toMatchObject({ outcome: 'acted', details: { consequence: 'gone-for-good' } });
    await waitForPodGone(bed.api, bed.ns, 'toolbox');
    // No controller owns it. Nothing to wait for, so the controllers get an observation window
    // longer than two resync periods (--min-resync-period=5s): no pod exists, nobody created one.
    const deletedAt = Date.now();
    await eventually('an observation window of 11 s', async () => Date.now() - deletedAt > 11_000 || undefined, 20_000, 500);
    expect((await bed.api.core.listNamespacedPod({ namespace: bed.ns })).items).toEqual([]);
    expect(writesOf(bed.cluster, { namespace: bed.ns, resource: 'pods', verbs: ['create'], since: deletedAt })).toEqual([]);
    const [event] = (await functionEventsIn(bed.api, bed.ns)).filter((e) => e.reason === 'Deleted');
    expect(event?.metadata?.annotations?.[CONSEQUENCE_ANNOTATION]).toBe('gone-for-good');
  }, 60_000);

  it('a StatefulSet pod comes back under the same name with a new UID and container id; the old alert is then stale-target, with no write', async () => {
    const fn = await bed.start();
    const db = await createStatefulSet(bed.api, bed.ns, 'db', { replicas: 2 });
    const victim = db.pods.find((p) => p.metadata!.name === 'db-1')!;
    const sentAt = Date.now();
    const { status, decision } = await bed.send(fn, alertOn(victim));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', details: { consequence: 'recreated-same-name' } });
    await waitForPodGone(bed.api, bed.ns, 'db-1', victim.metadata!.uid);
    const pods = await waitForPods(bed.api, bed.ns, db.selector, 2);
    const back = pods.find((p) => p.metadata!.name === 'db-1')!;
    expect(back.metadata!.uid).not.toBe(victim.metadata!.uid);
    expect(shortContainerId(back)).not.toBe(shortContainerId(victim));
    expect(podCreatesBy(CONTROLLER.statefulSet, sentAt).map((e) => e.objectRef?.name)).toContain('db-1');
    const replay = await bed.start();
    expect((await bed.send(replay, alertOn(victim))).decision).toMatchObject({ outcome: 'skipped', reason: 'stale-target' });
    expect(fnWrites(fn, 'pods')).toBe(1);
  });

  it('a DaemonSet pod is recreated on the same node', async () => {
    const fn = await bed.start();
    const agent = await createDaemonSet(bed.api, bed.ns, 'agent', bed.cluster.nodes.length);
    const victim = agent.pods[0]!;
    const { decision, replacement, sentAt } = await deleteAndWaitForReplacement(fn, agent, victim, bed.cluster.nodes.length);
    expect(decision.details.consequence).toBe('recreated');
    expect(replacement.spec!.nodeName).toBe(victim.spec!.nodeName);
    expect(podCreatesBy(CONTROLLER.daemonSet, sentAt).length).toBeGreaterThanOrEqual(1);
  });

  it("a Job's pod counts as a failure and the Job makes a new one (within its backoffLimit)", async () => {
    const fn = await bed.start();
    const batch = await createJob(bed.api, bed.ns, 'report', { backoffLimit: 2 });
    const { decision, sentAt } = await deleteAndWaitForReplacement(fn, batch, batch.pods[0]!, 1);
    expect(decision.details.consequence).toBe('recreated-within-backoff-limit');
    expect(podCreatesBy(CONTROLLER.job, sentAt).length).toBeGreaterThanOrEqual(1);
    const job = await eventually('the Job to count the failure', async () => {
      const read = await bed.api.batch.readNamespacedJob({ namespace: bed.ns, name: 'report' });
      return (read.status?.failed ?? 0) >= 1 ? read : undefined;
    });
    expect(job.status?.failed).toBe(1);
  });

  it('a bare ReplicaSet and a ReplicationController each replace their deleted pod', async () => {
    const fn = await bed.start();
    for (const create of [createReplicaSet, createReplicationController]) {
      const name = create === createReplicaSet ? 'bare-rs' : 'legacy-rc';
      const workload = await create(bed.api, bed.ns, name, { replicas: 2 });
      const { decision, replacement, sentAt } = await deleteAndWaitForReplacement(fn, workload, workload.pods[0]!, 2);
      expect(decision.details.consequence).toBe('recreated');
      expect(replacement.metadata!.ownerReferences?.[0]).toMatchObject({
        kind: create === createReplicaSet ? 'ReplicaSet' : 'ReplicationController',
        name,
      });
      const controller = create === createReplicaSet ? CONTROLLER.replicaSet : CONTROLLER.replicationController;
      expect(podCreatesBy(controller, sentAt).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('GRACE_PERIOD_SECONDS: the pod is seen Terminating with that deletionGracePeriodSeconds, then kwok finishes it', async () => {
    const fn = await bed.start({ GRACE_PERIOD_SECONDS: '4' });
    const pod = await createPod(bed.api, bed.ns, 'slow-stop', { terminationGracePeriodSeconds: 120 });
    const { decision } = await bed.send(fn, alertOn(pod));
    expect(decision).toMatchObject({ outcome: 'acted', details: { gracePeriodSeconds: 4 } });
    const terminating = await podExists(bed.api, bed.ns, 'slow-stop');
    expect(terminating?.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating?.metadata?.deletionGracePeriodSeconds).toBe(4);
    await waitForPodGone(bed.api, bed.ns, 'slow-stop', undefined, 30_000); // well before its own 120 s
  });

  it("without GRACE_PERIOD_SECONDS the pod's own terminationGracePeriodSeconds applies: it stays Terminating that long", async () => {
    const fn = await bed.start();
    const pod = await createPod(bed.api, bed.ns, 'own-grace', { terminationGracePeriodSeconds: 6 });
    const { decision } = await bed.send(fn, alertOn(pod));
    const answeredAt = Date.now();
    expect(decision).toMatchObject({ outcome: 'acted', details: { gracePeriodSeconds: null } });
    const terminating = (await podExists(bed.api, bed.ns, 'own-grace'))!;
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(6);
    await waitForPodGone(bed.api, bed.ns, 'own-grace', undefined, 40_000);
    // The API server rounds deletionTimestamp down to the second: at least 5 of the 6 s passed.
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(5_000);
  });

  it('MIN_READY_REPLICAS is judged on the ready count the controllers report: refused while a replica is unready, allowed for the unready one', async () => {
    const fn = await bed.start({ MIN_READY_REPLICAS: '2' });
    const api = await createDeployment(bed.api, bed.ns, 'api', { replicas: 3 });
    const [healthy, , sick] = api.pods;
    await markUnready(bed.api, bed.ns, sick!.metadata!.name!);
    await waitForDeploymentReady(bed.api, bed.ns, 'api', 2);
    const refused = await bed.send(fn, alertOn(healthy!));
    expect(refused.decision).toMatchObject({
      outcome: 'skipped',
      reason: 'min-ready-replicas',
      message: expect.stringMatching(/2 ready of 3.*leave 1/),
    });
    expect(fnWrites(fn)).toBe(0);
    // Deleting the unready pod leaves the 2 ready ones: allowed, and the ReplicaSet brings back a ready third.
    const allowed = await bed.send(fn, alertOn(sick!));
    expect(allowed.decision).toMatchObject({ outcome: 'acted', reason: 'deleted' });
    await waitForPodGone(bed.api, bed.ns, sick!.metadata!.name!);
    await waitForDeploymentReady(bed.api, bed.ns, 'api', 3);
  });

  it('a PodDisruptionBudget does not stop delete-pod: a plain DELETE is not an eviction, the pod goes though the budget allows no disruption', async () => {
    const fn = await bed.start();
    const web = await createDeployment(bed.api, bed.ns, 'guarded', { replicas: 2 });
    await bed.api.policy.createNamespacedPodDisruptionBudget({
      namespace: bed.ns,
      body: { metadata: { name: 'guarded' }, spec: { minAvailable: 2, selector: { matchLabels: web.selector } } },
    });
    // The disruption controller computes the budget: no disruption allowed with 2 of 2 required.
    await eventually('the disruption controller to compute the budget', async () => {
      const pdb = await bed.api.policy.readNamespacedPodDisruptionBudget({ namespace: bed.ns, name: 'guarded' });
      return pdb.status?.observedGeneration === pdb.metadata?.generation &&
        pdb.status?.currentHealthy === 2 &&
        pdb.status?.disruptionsAllowed === 0
        ? pdb
        : undefined;
    });
    expect(
      writesOf(bed.cluster, { user: CONTROLLER.disruption, namespace: bed.ns, resource: 'poddisruptionbudgets', since: bed.since }).length,
    ).toBeGreaterThan(0);
    // An eviction would be refused now (429): that is what the budget guards against.
    await expect(
      bed.api.core.createNamespacedPodEviction({
        namespace: bed.ns,
        name: web.pods[1]!.metadata!.name!,
        body: { metadata: { name: web.pods[1]!.metadata!.name!, namespace: bed.ns } },
      }),
    ).rejects.toMatchObject({ code: 429 });
    const { decision } = await bed.send(fn, alertOn(web.pods[0]!));
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'deleted' });
    await waitForPodGone(bed.api, bed.ns, web.pods[0]!.metadata!.name!);
    await waitForPods(bed.api, bed.ns, web.selector, 2);
    expect(fnWrites(fn, 'pods')).toBe(1);
  });
});
