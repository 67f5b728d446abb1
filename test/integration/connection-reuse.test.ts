// client-node builds a new connection pool for every call; the shared KubeClient keeps one,
// so the calls of one alert (get pod, get namespace, delete, Event) and of the next alerts
// ride the same TLS connection instead of a handshake each. Counted at the TCP level by a
// pass-through proxy in front of the real API server (TLS goes end to end through it).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { adminApis } from '../../testbed/workloads/admin-apis.ts';
import { createPod, waitForPodGone } from '../../testbed/workloads/pods.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../testbed/functions/function-under-test.ts';
import { postJson } from '../../testbed/net/http-client.ts';

interface CountingProxy {
  server: string;
  connections(): number;
  close(): Promise<void>;
}

async function startCountingProxy(upstream: URL): Promise<CountingProxy> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const target = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(target).pipe(client);
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    server: `https://127.0.0.1:${port}`,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('connections to the API server', () => {
  let cluster: ClusterCoords;
  let proxy: CountingProxy;
  let fn: FunctionUnderTest;
  beforeAll(async () => {
    cluster = useCluster();
    proxy = await startCountingProxy(new URL(cluster.server));
    // The token is made beforehand, straight from the API server: only the function's calls pass the proxy.
    fn = await startFunctionUnderTest({ ...cluster, server: proxy.server }, deletePodSpec, {}, await functionToken(cluster, deletePodSpec));
  });
  afterAll(async () => {
    await fn?.close();
    await proxy?.close();
  });

  it('one kept-alive TLS connection carries every call of three consecutive deletes', async () => {
    const api = adminApis(cluster);
    const ns = await createTestNamespace(cluster, 'connections');
    for (const pod of ['one', 'two', 'three']) await createPod(api, ns, pod);
    for (const pod of ['one', 'two', 'three']) {
      const answer = await postJson(fn.url, alertFor(ns, pod));
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'acted', reason: 'deleted' });
      await waitForPodGone(api, ns, pod);
    }
    // 3 alerts × (get pod, get namespace, delete, Event) = 12 calls; client-node alone opens 12.
    expect(proxy.connections()).toBe(1);
  });
});
