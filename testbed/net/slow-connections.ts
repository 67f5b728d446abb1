// Connections that announce a body and then send only its first bytes, and hold: what a
// slow or hostile client does to tie up a server's slots. Each reports when the server cut it.
import { connect, type Socket } from 'node:net';

export interface SlowConnection {
  socket: Socket;
  /** Resolves with the ms from opening until the server closed the connection. */
  closed: Promise<number>;
  /** What the server sent before closing (e.g. a 408). */
  received: () => string;
}

export interface SlowRequest {
  headers: Record<string, string>;
  /** The first bytes of the body; the rest never comes. */
  partialBody: string;
}

export async function openSlowConnections(url: string, count: number, request: SlowRequest): Promise<SlowConnection[]> {
  const target = new URL(url);
  const head = [
    `POST / HTTP/1.1`,
    `Host: ${target.host}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<SlowConnection>((resolve, reject) => {
          const opened = Date.now();
          const socket = connect({ host: target.hostname, port: Number(target.port) });
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.on('error', () => {}); // a reset by the server is a way of being cut
          const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - opened)));
          socket.once('connect', () => {
            socket.write(head + request.partialBody, (error) =>
              error ? reject(error) : resolve({ socket, closed, received: () => text }),
            );
          });
        }),
    ),
  );
}
