// A fault-injecting proxy in front of the test API server: the function talks plain HTTP to
// it, it forwards over TLS to kube-apiserver, and a test decides per request whether to pass,
// delay, or answer with an error itself (429 with Retry-After, 500, 409).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ClusterCoords } from '../cluster/control-plane.ts';

export type Fault =
  | { kind: 'pass' }
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number; retryAfter?: number; reason?: string };

export interface FaultProxy {
  url: string;
  /** Chooses the fault for each request; default: pass. */
  setRule(rule: (request: { method: string; path: string; index: number }) => Fault): void;
  requests: Array<{ method: string; path: string; fault: Fault['kind'] }>;
  close(): Promise<void>;
}

export async function startFaultProxy(cluster: Pick<ClusterCoords, 'server' | 'caData'>): Promise<FaultProxy> {
  const upstream = new URL(cluster.server);
  const ca = Buffer.from(cluster.caData, 'base64');
  let rule: Parameters<FaultProxy['setRule']>[0] = () => ({ kind: 'pass' });
  const requests: FaultProxy['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (request, response) => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const fault = rule({ method, path, index: requests.length });
    requests.push({ method, path, fault: fault.kind });
    if (fault.kind === 'status') {
      request.resume();
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: fault.status,
        reason: fault.reason ?? 'InjectedFault',
        message: `injected ${fault.status}`,
        ...(fault.retryAfter ? { details: { retryAfterSeconds: fault.retryAfter } } : {}),
      });
      response
        .writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter ? { 'retry-after': String(fault.retryAfter) } : {}),
        })
        .end(body);
      return;
    }
    if (fault.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (response.destroyed) return;
    const forwarded = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        headers: { ...request.headers, host: upstream.host },
        ca,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) response.writeHead(502).end();
    });
    request.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setRule: (next) => (rule = next),
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
