// The runtime's logger, made before anything that logs (the pipeline, the observers, fastify).
import { pino, type Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.ts';

export type LogStream = NodeJS.WritableStream | { write(line: string): void };

/** Where lines go: pino's stdout by default. */
export function createLogger(name: string, config: Pick<RuntimeConfig, 'logLevel'>, stream?: LogStream): Logger {
  const options = { level: config.logLevel, base: { function: name }, redact: ['req.headers.authorization'] };
  return stream ? pino(options, stream as pino.DestinationStream) : pino(options);
}
