// A stand-in for the OpenFaaS gateway's proxy behaviour (read from its source): it takes
// /function/<name>[.<namespace>][/rest], strips that prefix, adds its X-Forwarded-* /
// X-Call-Id / X-Start-Time headers and forwards the rest of the request to the function.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gateway {
  url: string;
  close(): Promise<void>;
}

export async function startOpenFaasGateway(functions: Record<string, string>): Promise<Gateway> {
  const server = http.createServer((request, response) => {
    const match = /^\/function\/([a-z0-9-]+)(?:\.([a-z0-9-]+))?(\/.*)?$/.exec(request.url ?? '');
    const upstream = match ? functions[match[1]!] : undefined;
    if (!match || !upstream) {
      response.writeHead(404).end('Cannot find service.');
      return;
    }
    const target = new URL(upstream);
    const headers = { ...request.headers };
    headers['x-forwarded-for'] = request.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-call-id'] = randomUUID();
    headers['x-start-time'] = String(Date.now() * 1_000_000);
    const forwarded = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: match[3] ?? '/', headers, agent: false },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      // Once the function's headers are through, a broken upstream can only cut the answer short.
      if (response.headersSent) response.destroy();
      else response.writeHead(502).end('upstream unreachable');
    });
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive clients would hold close() open
      }),
  };
}
