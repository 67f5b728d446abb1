// scale-to-zero against the reacting cluster: workloads made as users make them, the controllers
// make the pods. What follows the scale is in test/integration/reacting/scale-to-zero-consequences.test.ts.
import { describe, expect, it } from 'vitest';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../../../functions/scale-to-zero/spec.ts';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { countWrites } from '../../../testbed/cluster/audit.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { createPod, functionEventsIn as eventsIn } from '../../../testbed/workloads/pods.ts';
import { createDaemonSet, createDeployment, createStatefulSet } from '../../../testbed/workloads/controllers.ts';

const firstPod = (workload: { pods: Array<{ metadata?: { name?: string } }> }) => workload.pods[0]!.metadata!.name!;
import type { FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';

const bed = useFunctionTestBed(scaleToZeroSpec);
const start = (env: Record<string, string> = {}) => bed.start(env);
const send = (fn: FunctionUnderTest, alert: unknown) => bed.send(fn, alert);
const writes = (fn: FunctionUnderTest, resource?: string) =>
  countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, resource, since: bed.since, succeededOnly: true });
const scaleWrites = (fn: FunctionUnderTest) =>
  countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since, succeededOnly: true }) - writes(fn, 'events');

describe('scale-to-zero', () => {
  it('Pod → ReplicaSet → Deployment: scales the Deployment to 0 through /scale and records the previous count', async () => {
    const fn = await start();
    // A long grace period: the pod is still there (Terminating) when the second alert comes.
    const podName = firstPod(await createDeployment(bed.api, bed.ns, 'web', { replicas: 3, terminationGracePeriodSeconds: 60 }));
    const { status, decision } = await send(fn, alertFor(bed.ns, podName));
    expect(status).toBe(200);
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      target: { kind: 'Deployment', name: 'web', pod: podName },
      details: { previousReplicas: 3 },
    });
    const scale = await bed.api.apps.readNamespacedDeploymentScale({ namespace: bed.ns, name: 'web' });
    expect(scale.spec?.replicas ?? 0).toBe(0); // 0 is omitted from the JSON
    const deployment = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' });
    expect(deployment.metadata?.annotations).toMatchObject({
      [PREVIOUS_REPLICAS_ANNOTATION]: '3',
      'falco-response.dev/scaled-by-rule': 'Terminal shell in container',
      'falco-response.dev/scaled-for-pod': podName,
    });
    const scaleUpdates = countWrites(bed.cluster, {
      user: fn.identity,
      namespace: bed.ns,
      since: bed.since,
      succeededOnly: true,
      verbs: ['update'],
    });
    expect(scaleUpdates).toBe(1);
    expect(
      countWrites(bed.cluster, {
        user: fn.identity,
        namespace: bed.ns,
        since: bed.since,
        succeededOnly: true,
        resource: 'deployments',
        verbs: ['patch'],
      }),
    ).toBe(1);
    expect(readScaleSubresourceWrites()).toBe(1);
    expect(await eventsIn(bed.api, bed.ns)).toEqual([
      expect.objectContaining({ reason: 'ScaledToZero', regarding: expect.objectContaining({ kind: 'Deployment', name: 'web' }) }),
    ]);

    const again = await start();
    expect((await send(again, alertFor(bed.ns, podName))).decision).toMatchObject({ outcome: 'skipped', reason: 'already-scaled' });
    expect(scaleWrites(fn)).toBe(2);

    function readScaleSubresourceWrites() {
      return countWrites(bed.cluster, {
        user: fn.identity,
        namespace: bed.ns,
        since: bed.since,
        succeededOnly: true,
        resource: 'deployments',
        verbs: ['update'],
      });
    }
  });

  it('a StatefulSet likewise', async () => {
    const fn = await start();
    const podName = firstPod(await createStatefulSet(bed.api, bed.ns, 'db', { replicas: 2 }));
    expect((await send(fn, alertFor(bed.ns, podName))).decision).toMatchObject({
      outcome: 'acted',
      target: { kind: 'StatefulSet', name: 'db' },
      details: { previousReplicas: 2 },
    });
    expect((await bed.api.apps.readNamespacedStatefulSetScale({ namespace: bed.ns, name: 'db' })).spec?.replicas ?? 0).toBe(0);
    expect(
      (await bed.api.apps.readNamespacedStatefulSet({ namespace: bed.ns, name: 'db' })).metadata?.annotations?.[
        PREVIOUS_REPLICAS_ANNOTATION
      ],
    ).toBe('2');
  });

  it('warns that a GitOps-managed workload will be scaled back, and what to do', async () => {
    const fn = await start();
    const podName = firstPod(await createDeployment(bed.api, bed.ns, 'shop', { labels: { 'argocd.argoproj.io/instance': 'shop' } }));
    const { decision } = await send(fn, alertFor(bed.ns, podName));
    expect(decision).toMatchObject({ outcome: 'acted', warnings: [expect.stringMatching(/Argo CD \(Application shop\).*sync/)] });
    expect((await eventsIn(bed.api, bed.ns))[0]).toMatchObject({ type: 'Warning', note: expect.stringContaining('Argo CD') });
  });

  it('refuses clearly, writing nothing, for a bare pod and a DaemonSet pod', async () => {
    const fn = await start();
    await createPod(bed.api, bed.ns, 'bare');
    const podName = firstPod(await createDaemonSet(bed.api, bed.ns, 'agent', bed.cluster.nodes.length));
    expect((await send(fn, alertFor(bed.ns, 'bare'))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'not-scalable',
      message: expect.stringMatching(/bare pod.*delete-pod/),
    });
    expect((await send(fn, alertFor(bed.ns, podName))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'not-scalable',
      message: expect.stringMatching(/DaemonSet agent/),
    });
    expect(countWrites(bed.cluster, { user: fn.identity, namespace: bed.ns, since: bed.since })).toBe(0);
  });

  it('guard rails write nothing: dry-run, protected namespace, opt-out on the namespace', async () => {
    const dry = await start({ DRY_RUN: 'true' });
    const podName = firstPod(await createDeployment(bed.api, bed.ns, 'web', { replicas: 2 }));
    expect((await send(dry, alertFor(bed.ns, podName))).decision).toMatchObject({
      outcome: 'dry-run',
      message: expect.stringMatching(/would scale Deployment .*from 2 to 0/),
    });
    const protectedFn = await start({ PROTECTED_NAMESPACES: `${bed.ns}` });
    expect((await send(protectedFn, alertFor(bed.ns, podName))).decision.reason).toBe('protected-namespace');
    await bed.api.core.patchNamespace({
      name: bed.ns,
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'falco-response.dev/ignore': 'true' } }],
    });
    const normal = await start();
    expect((await send(normal, alertFor(bed.ns, podName))).decision.reason).toBe('opted-out');
    expect(countWrites(bed.cluster, { user: dry.identity, namespace: bed.ns, since: bed.since })).toBe(0);
    expect((await bed.api.apps.readNamespacedDeploymentScale({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(2);
  });
});
