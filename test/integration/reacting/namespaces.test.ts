// Namespace-level guard rails on the reacting cluster, with the namespace controller running:
// opt-out, ignore-until, protected namespaces, and a namespace being deleted.
import { describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { createTestNamespace } from '../../../testbed/cluster/accounts.ts';
import { countWrites, writesOf } from '../../../testbed/cluster/audit.ts';
import { eventually } from '../../../testbed/cluster/probes.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { CONTROLLER } from '../../../testbed/reacting/identities.ts';
import { createDeployment } from '../../../testbed/workloads/controllers.ts';
import { createPod, podExists, shortContainerId, waitForPodGone } from '../../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(deletePodSpec);

async function namespaceGone(name: string): Promise<boolean> {
  try {
    await bed.api.core.readNamespace({ name });
    return false;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return true;
    throw error;
  }
}

describe('namespaces on the reacting cluster', () => {
  it('a namespace opted out (label), or ignored until a time to come: its Deployment pods are left alone; once ignore-until passed they are not', async () => {
    const fn = await bed.start();
    const optedOut = await createTestNamespace(bed.cluster, 'opted-out', { 'falco-response.dev/ignore': 'true' });
    const [shielded] = (await createDeployment(bed.api, optedOut, 'web', { replicas: 1 })).pods;
    expect((await bed.send(fn, alertFor(optedOut, shielded!.metadata!.name!, shortContainerId(shielded!)))).decision).toMatchObject({
      outcome: 'skipped',
      reason: 'opted-out',
    });

    await bed.api.core.patchNamespace({
      name: bed.ns,
      body: [
        {
          op: 'add',
          path: '/metadata/annotations',
          value: { 'falco-response.dev/ignore-until': new Date(Date.now() + 3_600_000).toISOString() },
        },
      ],
    });
    const [debugged] = (await createDeployment(bed.api, bed.ns, 'web', { replicas: 1 })).pods;
    const alert = alertFor(bed.ns, debugged!.metadata!.name!, shortContainerId(debugged!));
    expect((await bed.send(fn, alert)).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
    expect(countWrites(bed.cluster, { user: fn.identity, since: bed.since })).toBe(0);
    expect(await podExists(bed.api, bed.ns, debugged!.metadata!.name!)).toBeDefined();

    await bed.api.core.patchNamespace({
      name: bed.ns,
      body: [
        {
          op: 'replace',
          path: '/metadata/annotations/falco-response.dev~1ignore-until',
          value: new Date(Date.now() - 60_000).toISOString(),
        },
      ],
    });
    const later = await bed.start(); // no dedupe memory of the skip
    expect((await bed.send(later, alert)).decision).toMatchObject({ outcome: 'acted', reason: 'deleted' });
    await waitForPodGone(bed.api, bed.ns, debugged!.metadata!.name!);
  });

  it('kube-system is protected by default: a Deployment pod there is not touched', async () => {
    const fn = await bed.start();
    const name = `frf-protected-${Date.now().toString(36)}`;
    try {
      const [pod] = (await createDeployment(bed.api, 'kube-system', name, { replicas: 1 })).pods;
      const since = Date.now();
      expect((await bed.send(fn, alertFor('kube-system', pod!.metadata!.name!, shortContainerId(pod!)))).decision).toMatchObject({
        outcome: 'skipped',
        reason: 'protected-namespace',
      });
      expect(countWrites(bed.cluster, { user: fn.identity, since })).toBe(0);
      expect(await podExists(bed.api, 'kube-system', pod!.metadata!.name!)).toBeDefined();
    } finally {
      await bed.api.apps.deleteNamespacedDeployment({ namespace: 'kube-system', name });
    }
  });

  it('a namespace being deleted: the namespace controller terminates its pods, the function writes nothing, and once the namespace is gone the alert is already-gone', async () => {
    const fn = await bed.start();
    const doomed = await createTestNamespace(bed.cluster, 'doomed');
    const pod = await createPod(bed.api, doomed, 'worker', { terminationGracePeriodSeconds: 5 });
    const alert = alertFor(doomed, 'worker', shortContainerId(pod));
    await bed.api.core.deleteNamespace({ name: doomed });
    await eventually(
      'the namespace controller to terminate the pod',
      async () => (await podExists(bed.api, doomed, 'worker'))?.metadata?.deletionTimestamp !== undefined,
    );
    expect((await bed.api.core.readNamespace({ name: doomed })).status?.phase).toBe('Terminating');
    expect((await bed.send(fn, alert)).decision).toMatchObject({ outcome: 'skipped', reason: 'already-terminating' });
    expect(
      writesOf(bed.cluster, { user: CONTROLLER.namespace, namespace: doomed, resource: 'pods', since: bed.since }).length,
    ).toBeGreaterThan(0);

    await eventually(`namespace ${doomed} gone`, () => namespaceGone(doomed), 90_000);
    const fresh = await bed.start();
    expect((await bed.send(fresh, alert)).decision).toMatchObject({ outcome: 'skipped', reason: 'already-gone' });
    expect(countWrites(bed.cluster, { user: fn.identity, since: bed.since })).toBe(0);
    expect(countWrites(bed.cluster, { user: fresh.identity, since: bed.since })).toBe(0);
  }, 120_000);
});
