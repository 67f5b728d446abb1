// The HTTP runtime every function's entry point starts: fastify set up once, then its plugins
// (reply, limits, auth, health) and the alert route; the function only turns an alert into a
// Decision. More routes (/metrics) are added with app.register by whoever has them.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { DecisionObserver } from '../respond/decision-observer.ts';
import { alertRoute, type AlertHandler } from './alert-route.ts';
import { authPlugin } from './auth-plugin.ts';
import { healthPlugin } from './health.ts';
import { InFlight, limitsPlugin } from './limits.ts';
import { createLogger, type LogStream } from './logger.ts';
import { logObserver } from './observers.ts';
import { replyPlugin } from './reply-plugin.ts';

export type { AlertHandler, HandlerContext } from './alert-route.ts';

export interface FunctionServerOptions {
  name: string;
  handle: AlertHandler;
  config: RuntimeConfig;
  /** Hears of each decision and refusal; default: the decision log line alone. */
  observer?: DecisionObserver;
  /** The count of alerts in flight (the metrics gauge reads it); default: a new one. */
  inFlight?: InFlight;
  /** The logger the observer writes to too; default: one made with createLogger (pino's stdout, or logStream). */
  logger?: FastifyBaseLogger;
  logStream?: LogStream;
}

// No route has a JSON schema (the alert parser validates bodies itself), so fastify's schema
// compilers (ajv, fast-json-stringify) are never needed: left unset, fastify would load and
// initialise them on every start anyway. A schema added later fails loudly here.
function noSchemaCompiler(): never {
  throw new Error('route schemas are not supported: createFunctionServer() sets no validator or serializer compiler (see server.ts)');
}

function createFastify(config: RuntimeConfig, logger: FastifyBaseLogger): FastifyInstance {
  return Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    // One log line per decision instead of two per request.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    genReqId: () => randomUUID(),
    // Deadlines, so no caller holds a connection for long: headers and body must have arrived
    // within REQUEST_TIMEOUT_MS (Node answers 408 and closes), an idle keep-alive connection is
    // closed after KEEP_ALIVE_TIMEOUT_MS. Node checks the request deadline only every
    // connectionsCheckingInterval (30 s by default), so it is checked more often here.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.requestTimeoutMs / 4))),
    },
    // Our log lines carry the requestId themselves; a child logger per request (fastify's
    // default) costs ~10 µs of every filtered alert for bindings nothing reads.
    childLoggerFactory: (logger) => logger,
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  }) as unknown as FastifyInstance;
}

export function createFunctionServer(options: FunctionServerOptions): FastifyInstance {
  const { config, name } = options;
  const logger = options.logger ?? createLogger(name, config, options.logStream);
  const decisionLog = options.observer ? undefined : logObserver(logger, config);
  const observer = options.observer ?? decisionLog!;
  const inFlight = options.inFlight ?? new InFlight(config.maxInFlight);
  const app = createFastify(config, logger);

  // Bodies arrive as bytes whatever their type: the alert parser decides what is acceptable
  // (415/400/422 with a reason) instead of fastify's own parsers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) app.log.error({ err: error, requestId: request.id }, 'unexpected error');
    const reason = status === 413 ? `body larger than ${config.bodyLimitBytes} bytes` : status === 500 ? 'internal error' : error.message;
    reply.reject(status, 'body', reason);
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `no route ${request.method} ${request.url}; alerts go to POST /`;
    void reply.code(404).send({ outcome: 'error', reason: 'not-found', message });
  });

  // In this order: a closing server refuses before the token is checked (limits' onRequest first).
  app.register(replyPlugin, { name, config, observer });
  app.register(limitsPlugin, { inFlight });
  app.register(authPlugin, { config });
  app.register(healthPlugin);
  app.register(alertRoute, { config, handle: options.handle, inFlight, observer });
  if (decisionLog)
    app.addHook('onClose', (_app, done) => {
      decisionLog.close();
      done();
    });
  return app;
}
