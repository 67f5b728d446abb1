// The one free-port helper: loopback ports nobody listens on right now, for servers that must
// be told their port up front (etcd, kube-apiserver, a function started with $PORT).
import { createServer, type AddressInfo } from 'node:net';

/** `count` distinct free loopback ports; all listeners are held open together so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** A base port with the `count - 1` after it free too (checked, then released): `make serve`'s consecutive ports. */
export async function freeConsecutivePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const servers: ReturnType<typeof createServer>[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(base + i, '127.0.0.1', resolve));
        servers.push(server);
      }
      return base;
    } catch {
      // taken: try another
    } finally {
      for (const server of servers) server.close();
    }
  }
  throw new Error(`no ${count} consecutive free ports`);
}
