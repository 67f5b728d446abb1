// The cluster guard end to end: the bundled delete-pod, as deployed for cluster "prod-eu"
// (CLUSTER_NAME), receives alerts stamped the way Falcosidekick's CUSTOMFIELDS stamps them,
// through the real senders (the CloudEvents Go SDK, the webhook output's HTTP client). Only
// its own cluster's alert acts; the API server's audit log shows no other write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { countWrites } from '../../testbed/cluster/audit.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { ensureBundles } from '../../testbed/functions/bundles.ts';
import { assertImageNode, startFunctionProcess, type FunctionProcess } from '../../testbed/functions/function-process.ts';
import { cloudEventsSenderPath } from '../../testbed/senders/cloudevents-sender.ts';
import { cloudEventsBinary, webhookOutput } from '../../testbed/senders/outputs.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { createPod, podExists, shortContainerId } from '../../testbed/workloads/pods.ts';

let cluster: ClusterCoords;
let api: AdminApis;
let fn: FunctionProcess;

beforeAll(async () => {
  assertImageNode();
  ensureBundles();
  cloudEventsSenderPath();
  cluster = useCluster();
  api = adminApis(cluster);
  fn = await startFunctionProcess(cluster, deletePodSpec, { CLUSTER_NAME: 'prod-eu' });
});
afterAll(async () => {
  await fn?.stop();
});

/** What Falcosidekick's CUSTOMFIELDS=cluster:<name> adds to every alert it forwards. */
function stampedFor(cluster: string | undefined, namespace: string, pod: string, containerId: string) {
  const alert = alertFor(namespace, pod, containerId);
  if (cluster !== undefined) alert.output_fields.cluster = cluster;
  return alert;
}

describe.for([cloudEventsBinary, webhookOutput])('over the $name', (output) => {
  it("acts on its own cluster's alert only: another cluster's is other-cluster, an unstamped one no-cluster-field, neither writes", async () => {
    const namespace = await createTestNamespace(cluster, 'e2e-cluster');
    const pod = await createPod(api, namespace, 'shell');
    const id = shortContainerId(pod);
    const since = Date.now();

    const other = await output.send(fn, stampedFor('prod-us', namespace, 'shell', id));
    expect(other.status).toBe(200);
    expect(other.decision).toMatchObject({ outcome: 'skipped', reason: 'other-cluster' });
    const unstamped = await output.send(fn, stampedFor(undefined, namespace, 'shell', id));
    expect(unstamped.decision).toMatchObject({ outcome: 'skipped', reason: 'no-cluster-field' });
    expect(countWrites(cluster, { user: fn.identity, since })).toBe(0);
    expect(await podExists(api, namespace, 'shell')).toBeDefined();

    const own = await output.send(fn, stampedFor('prod-eu', namespace, 'shell', id));
    expect(own.decision).toMatchObject({ outcome: 'acted', reason: 'deleted' });
    expect(countWrites(cluster, { user: fn.identity, namespace, resource: 'pods', since, succeededOnly: true })).toBe(1);
  });
});

it('says at start-up that the guard is on', () => {
  expect(fn.output()).toMatch(/"clusterGuard":"acts only on alerts with output_fields\[\\"cluster\\"\] = \\"prod-eu\\""/);
});
