// The test bed's log path: pods/log through the real API server, proxied to the node's
// "kubelet" (kwok's server at the node's InternalIP 127.0.0.1 and kubeletEndpoint port),
// which serves the lines a test says the pod's container wrote.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace } from '../../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { adminApis, type AdminApis } from '../../../testbed/workloads/admin-apis.ts';
import { writeContainerLogs } from '../../../testbed/workloads/container-logs.ts';
import { kubectl } from '../../../testbed/workloads/kubectl.ts';
import { createPod } from '../../../testbed/workloads/pods.ts';
import { startStuckKubeletNode } from '../../../testbed/workloads/stuck-kubelet.ts';

let cluster: ClusterCoords;
let api: AdminApis;
beforeAll(() => {
  cluster = useCluster();
  api = adminApis(cluster);
});

describe('container logs through the API server', () => {
  it('readNamespacedPodLog and kubectl logs return the lines the simulated container wrote, current and previous', async () => {
    const ns = await createTestNamespace(cluster, 'logs');
    const pod = await createPod(api, ns, 'writer');
    const node = await api.core.readNode({ name: pod.spec!.nodeName! });
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBeGreaterThan(0);
    await writeContainerLogs(cluster, api, ns, 'writer', { app: { current: ['started', 'reading /etc/shadow'], previous: ['crashed'] } });
    expect(await api.core.readNamespacedPodLog({ namespace: ns, name: 'writer', container: 'app' })).toBe('started\nreading /etc/shadow\n');
    expect(await api.core.readNamespacedPodLog({ namespace: ns, name: 'writer', container: 'app', previous: true })).toBe('crashed\n');
    expect(await api.core.readNamespacedPodLog({ namespace: ns, name: 'writer', container: 'app', limitBytes: 7 })).toBe('started');
    expect(await kubectl(cluster, ['logs', '-n', ns, 'writer'])).toBe('started\nreading /etc/shadow\n');
  });

  it('a pod on a node whose kubelet hangs: pods/log never answers until the kubelet goes', async () => {
    const ns = await createTestNamespace(cluster, 'logs-hang');
    const stuck = await startStuckKubeletNode(api);
    try {
      await createPod(api, ns, 'stuck', { nodeName: stuck.node });
      const read = api.core.readNamespacedPodLog({ namespace: ns, name: 'stuck', container: 'app' }).then(
        () => 'answered',
        () => 'failed',
      );
      const outcome = await Promise.race([read, new Promise((done) => setTimeout(() => done('hanging'), 1500))]);
      expect(outcome).toBe('hanging');
      await stuck.close();
      expect(await read).toBe('failed');
    } finally {
      await stuck.close();
    }
  });
});
