// What follows scale-to-zero on the reacting cluster: the ReplicaSet (or StatefulSet)
// controller terminates the pods and nothing brings them back, not a resync and not an HPA,
// until the README's restore command puts the recorded count back.
import { describe, expect, it } from 'vitest';
import { PREVIOUS_REPLICAS_ANNOTATION, scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { countWrites, writesOf } from '../../../testbed/cluster/audit.ts';
import { eventually } from '../../../testbed/cluster/probes.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { CONTROLLER } from '../../../testbed/reacting/identities.ts';
import { createDeployment, createStatefulSet, waitForDeploymentReady, waitForPods } from '../../../testbed/workloads/controllers.ts';
import { kubectl } from '../../../testbed/workloads/kubectl.ts';
import { podsMatching, shortContainerId } from '../../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(scaleToZeroSpec);
const podDeletesBy = (user: string, since: number) =>
  writesOf(bed.cluster, { user, namespace: bed.ns, resource: 'pods', verbs: ['delete'], since, succeededOnly: true });

describe('scale-to-zero on the reacting cluster: what Kubernetes does next', () => {
  it('every pod of the Deployment terminates and none comes back: not through controller resyncs, not through an HPA; the README restore brings them back Running', async () => {
    const fn = await bed.start();
    const web = await createDeployment(bed.api, bed.ns, 'web', { replicas: 3 });
    await bed.api.autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: bed.ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 5,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      },
    });
    const target = web.pods[0]!;
    const { status, decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'scaled-to-zero', details: { previousReplicas: 3 } });
    const scaledAt = Date.now();

    await waitForPods(bed.api, bed.ns, web.selector, 0);
    expect(
      podDeletesBy(CONTROLLER.replicaSet, bed.since)
        .map((e) => e.objectRef?.name)
        .sort(),
    ).toEqual(web.pods.map((p) => p.metadata!.name).sort());
    // The HPA controller looked at the Deployment and stood down: it does not scale up from 0.
    // (No metrics server runs here, so what the HPA would do with metrics at replicas > 0 is not shown.)
    const hpa = await eventually('the HPA controller to disable scaling at 0 replicas', async () => {
      const read = await bed.api.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: bed.ns, name: 'web' });
      return read.status?.conditions?.find((c) => c.type === 'ScalingActive' && c.status === 'False' && c.reason === 'ScalingDisabled')
        ? read
        : undefined;
    });
    expect(hpa.status?.desiredReplicas ?? 0).toBe(0);
    // Longer than two resync periods of the controllers (--min-resync-period=5s): still 0, no pod created.
    await eventually('an observation window of 11 s', async () => Date.now() - scaledAt > 11_000 || undefined, 20_000, 500);
    expect(await podsMatching(bed.api, bed.ns, web.selector)).toEqual([]);
    expect(writesOf(bed.cluster, { namespace: bed.ns, resource: 'pods', verbs: ['create'], since: scaledAt })).toEqual([]);
    const deployment = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' });
    expect(deployment.spec?.replicas).toBe(0);
    expect(deployment.status?.replicas ?? 0).toBe(0);
    const [replicaSet] = (await bed.api.apps.listNamespacedReplicaSet({ namespace: bed.ns })).items;
    expect(replicaSet?.spec?.replicas).toBe(0);
    expect(
      countWrites(bed.cluster, { user: CONTROLLER.horizontalPodAutoscaler, namespace: bed.ns, resource: 'deployments', since: bed.since }),
    ).toBe(0);

    // The README's restore commands, with the real kubectl.
    const previous = await kubectl(bed.cluster, [
      '-n',
      bed.ns,
      'get',
      'deploy',
      'web',
      '-o',
      `jsonpath={.metadata.annotations.${PREVIOUS_REPLICAS_ANNOTATION.replace(/\./g, '\\.')}}`,
    ]);
    expect(previous).toBe('3');
    await kubectl(bed.cluster, ['-n', bed.ns, 'scale', 'deploy', 'web', `--replicas=${previous}`]);
    const back = await waitForPods(bed.api, bed.ns, web.selector, 3);
    expect(back.every((p) => p.status?.phase === 'Running')).toBe(true);
    await waitForDeploymentReady(bed.api, bed.ns, 'web', 3);
  }, 120_000);

  it("a StatefulSet's pods terminate highest ordinal first, and the previous count is recorded", async () => {
    const fn = await bed.start();
    const db = await createStatefulSet(bed.api, bed.ns, 'db', { replicas: 3 });
    const target = db.pods.find((p) => p.metadata!.name === 'db-0')!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, 'db-0', shortContainerId(target)));
    expect(decision).toMatchObject({ outcome: 'acted', target: { kind: 'StatefulSet', name: 'db' }, details: { previousReplicas: 3 } });
    await waitForPods(bed.api, bed.ns, db.selector, 0);
    // The order the StatefulSet controller deleted them in, from the audit log.
    expect(podDeletesBy(CONTROLLER.statefulSet, bed.since).map((e) => e.objectRef?.name)).toEqual(['db-2', 'db-1', 'db-0']);
    const statefulSet = await bed.api.apps.readNamespacedStatefulSet({ namespace: bed.ns, name: 'db' });
    expect(statefulSet.metadata?.annotations?.[PREVIOUS_REPLICAS_ANNOTATION]).toBe('3');
  }, 120_000);
});
