// A node whose kubelet hangs: kwok runs its pods as on any node, but its kubeletEndpoint port
// points at a listener in the test process that accepts connections and never answers (not
// even the TLS handshake). The API server really proxies pods/log there, and the request hangs
// as it would against a stuck kubelet. (kwok cannot hang one log itself: it seeks every log
// file first, so a FIFO fails at once.) Tainted, so nothing but the pods a test binds to it
// (createPod's nodeName) lands there; removed by close().
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { eventually } from '../cluster/probes.ts';
import { KWOK_NODE_ANNOTATION } from '../reacting/components.ts';
import type { AdminApis } from './admin-apis.ts';

export interface StuckKubelet {
  node: string;
  /** Closes the held connections (the API server's requests fail) and deletes the node; idempotent. */
  close(): Promise<void>;
}

export async function startStuckKubeletNode(api: AdminApis): Promise<StuckKubelet> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const node = `kwok-stuck-${randomBytes(3).toString('hex')}`;
  await api.core.createNode({
    body: {
      metadata: { name: node, annotations: { [KWOK_NODE_ANNOTATION]: 'fake' }, labels: { 'kubernetes.io/hostname': node } },
      spec: { taints: [{ key: 'testbed.falco-response.dev/stuck-kubelet', value: 'true', effect: 'NoSchedule' }] },
    },
  });
  // After kwok initialized it (Ready, its own port): kwok's later heartbeats leave the port alone.
  await eventually(
    `node ${node} Ready with its kubelet port moved`,
    async () => {
      const current = await api.core.readNode({ name: node });
      if (!current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return false;
      if (current.status.daemonEndpoints?.kubeletEndpoint?.Port === port) return true;
      current.status.daemonEndpoints = { kubeletEndpoint: { Port: port } };
      await api.core.replaceNodeStatus({ name: node, body: current });
      return false;
    },
    30_000,
  );
  let closing: Promise<void> | undefined;
  return {
    node,
    close() {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((done) => server.close(done));
        await api.core.deleteNode({ name: node });
      })();
      return closing;
    },
  };
}
