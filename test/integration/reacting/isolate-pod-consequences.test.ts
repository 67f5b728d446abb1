// What follows isolate-pod on the reacting cluster: the pod keeps running (and counting for its
// ReplicaSet), the garbage collector removes the quarantine with the pod, a replacement is not
// quarantined, and a rollout leaves the old pod's quarantine in place until that pod is gone.
import { describe, expect, it } from 'vitest';
import { QUARANTINE_LABEL, quarantinePolicyName } from '../../../functions/isolate-pod/quarantine.ts';
import { isolatePodSpec } from '../../../functions/isolate-pod/spec.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { writesOf } from '../../../testbed/cluster/audit.ts';
import { eventually } from '../../../testbed/cluster/probes.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { CONTROLLER } from '../../../testbed/reacting/identities.ts';
import { createDeployment, waitForPods } from '../../../testbed/workloads/controllers.ts';
import { functionEventsIn, isReady, podExists, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(isolatePodSpec);

async function policyExists(name: string): Promise<boolean> {
  try {
    await bed.api.networking.readNamespacedNetworkPolicy({ namespace: bed.ns, name });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

describe('isolate-pod on the reacting cluster: what Kubernetes does next', () => {
  it('the pod stays Running; deleting it garbage-collects its NetworkPolicy; the pod its ReplicaSet makes instead is not quarantined, as the answer says', async () => {
    const fn = await bed.start();
    const web = await createDeployment(bed.api, bed.ns, 'web', { replicas: 2 });
    const [suspect] = web.pods;
    const name = suspect!.metadata!.name!;
    const { status, decision } = await bed.send(fn, alertFor(bed.ns, name, shortContainerId(suspect!)));
    expect(status).toBe(200);
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'isolated', details: { replacementQuarantined: false } });
    expect(decision.message).toMatch(/the pod its Deployment web creates in its place is not quarantined/);
    expect((await functionEventsIn(bed.api, bed.ns))[0]?.note).toMatch(/not quarantined/);

    // Still running, still the same pod, and the ReplicaSet did not replace it (the label it added is not in the selector).
    const isolated = (await podExists(bed.api, bed.ns, name))!;
    expect(isolated.metadata?.uid).toBe(suspect!.metadata!.uid);
    expect(isReady(isolated)).toBe(true);
    expect(isolated.metadata?.labels?.[QUARANTINE_LABEL]).toBe(suspect!.metadata!.uid);
    expect((await waitForPods(bed.api, bed.ns, web.selector, 2)).map((p) => p.metadata!.uid).sort()).toEqual(
      web.pods.map((p) => p.metadata!.uid).sort(),
    );

    // Someone deletes the quarantined pod (e.g. after examining it): the policy goes with it.
    const policy = quarantinePolicyName(name);
    expect(await policyExists(policy)).toBe(true);
    const deletedAt = Date.now();
    await bed.api.core.deleteNamespacedPod({ namespace: bed.ns, name });
    await waitForPodGone(bed.api, bed.ns, name);
    await eventually(`NetworkPolicy ${policy} garbage-collected`, async () => !(await policyExists(policy)));
    expect(
      writesOf(bed.cluster, {
        user: CONTROLLER.garbageCollector,
        namespace: bed.ns,
        resource: 'networkpolicies',
        verbs: ['delete'],
        since: deletedAt,
        succeededOnly: true,
      }).map((e) => e.objectRef?.name),
    ).toEqual([policy]);

    const pods = await waitForPods(bed.api, bed.ns, web.selector, 2);
    const replacement = pods.find((p) => !web.pods.some((old) => old.metadata!.uid === p.metadata!.uid))!;
    expect(replacement.metadata?.labels?.[QUARANTINE_LABEL]).toBeUndefined();
    expect((await bed.api.networking.listNamespacedNetworkPolicy({ namespace: bed.ns })).items).toEqual([]);
  });

  it("a rollout while a pod is quarantined keeps that pod's quarantine intact until the pod is gone; the new pods are not quarantined", async () => {
    const fn = await bed.start();
    // A grace period long enough to see the old pod Terminating, still quarantined.
    const web = await createDeployment(bed.api, bed.ns, 'web', { replicas: 2, terminationGracePeriodSeconds: 8 });
    const [suspect] = web.pods;
    const name = suspect!.metadata!.name!;
    expect((await bed.send(fn, alertFor(bed.ns, name, shortContainerId(suspect!)))).decision).toMatchObject({
      outcome: 'acted',
      reason: 'isolated',
    });

    // As `kubectl rollout restart` does: a new template annotation, so a new ReplicaSet.
    await bed.api.apps.patchNamespacedDeployment({
      namespace: bed.ns,
      name: 'web',
      body: [
        {
          op: 'add',
          path: '/spec/template/metadata/annotations',
          value: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() },
        },
      ],
    });
    const terminating = await eventually(`the quarantined pod ${name} Terminating in the rollout`, async () => {
      const pod = await podExists(bed.api, bed.ns, name);
      return pod?.metadata?.deletionTimestamp ? pod : undefined;
    });
    expect(terminating.metadata?.labels?.[QUARANTINE_LABEL]).toBe(suspect!.metadata!.uid);
    expect(await policyExists(quarantinePolicyName(name))).toBe(true);
    const policy = await bed.api.networking.readNamespacedNetworkPolicy({ namespace: bed.ns, name: quarantinePolicyName(name) });
    expect(policy.spec?.podSelector?.matchLabels).toEqual({ [QUARANTINE_LABEL]: suspect!.metadata!.uid });

    await waitForPodGone(bed.api, bed.ns, name, undefined, 60_000);
    await eventually("the old pod's NetworkPolicy garbage-collected", async () => !(await policyExists(quarantinePolicyName(name))));
    const fresh = await waitForPods(bed.api, bed.ns, web.selector, 2);
    expect(fresh.every((p) => p.metadata?.labels?.[QUARANTINE_LABEL] === undefined)).toBe(true);
  }, 120_000);
});
