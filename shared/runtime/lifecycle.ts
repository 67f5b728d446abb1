// Listening and stopping as Knative and OpenFaaS expect: $PORT, /tmp/.lock once listening
// (OpenFaaS exec probe), and on SIGTERM stop accepting, finish in-flight alerts, exit 0.
// Node as PID 1 would otherwise ignore SIGTERM until the platform's grace period runs out.
import { rmSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { RuntimeConfig } from '../config/runtime-config.ts';

export async function listenAndServe(app: FastifyInstance, config: RuntimeConfig): Promise<void> {
  await app.listen({ port: config.port, host: config.host });
  if (config.lockFile) {
    try {
      writeFileSync(config.lockFile, `${process.pid}\n`);
    } catch (error) {
      await app.close();
      throw new Error(
        `cannot write LOCK_FILE=${config.lockFile} (${(error as NodeJS.ErrnoException).code}): mount a writable /tmp, or set LOCK_FILE= (empty) when no exec probe needs it`,
      );
    }
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: finishing in-flight alerts');
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight alerts did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.close();
    } finally {
      if (config.lockFile) rmSync(config.lockFile, { force: true });
    }
    app.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
