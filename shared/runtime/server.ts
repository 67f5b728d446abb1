// The HTTP runtime every function's entry point starts: it owns transport, authentication,
// limits, health, logging and shutdown; the function only turns an alert into a Decision.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { AlertRejection, isCloudEventRequest, mediaType, parseAlertRequest, type AlertTransport, type ParsedAlert } from '../alert/parse-request.ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { presentedHeaderToken, tokensMatch } from './auth.ts';
import { failed, statusForDecision, type Decision } from './decision.ts';
import { renderReply, replyFormFor } from './reply.ts';

export interface HandlerContext {
  requestId: string;
  transport: AlertTransport;
  log: FastifyInstance['log'];
}

export type AlertHandler = (alert: FalcoAlert, context: HandlerContext) => Promise<Decision>;

export interface FunctionServerOptions {
  name: string;
  handle: AlertHandler;
  config: RuntimeConfig;
  /** Reply to CloudEvent requests with a decision event (default) or an empty body. */
  cloudEventReplies?: 'event' | 'empty';
  /** Called with each decision after it is answered (metrics, audit). */
  onDecision?: (decision: Decision, alert: FalcoAlert | undefined, durationMs: number) => void;
  /** Extra routes, e.g. /metrics. */
  extraRoutes?: (app: FastifyInstance) => void;
}

type RequestForm = AlertTransport | 'cloudevent-unknown';

function requestForm(request: FastifyRequest): RequestForm {
  if (!isCloudEventRequest(request.headers)) return 'json';
  return mediaType(request.headers['content-type']) === 'application/cloudevents+json' ? 'cloudevent-structured' : 'cloudevent-unknown';
}

function alertSummary(alert: FalcoAlert | undefined) {
  return alert ? { uuid: alert.uuid, rule: alert.rule, priority: alert.priority, time: alert.timeText } : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted against MAX_IN_FLIGHT (released once, on response or abort). */
    counted: boolean;
    /** A valid token arrived in a header (a structured CloudEvent may carry it in its body instead). */
    authenticated: boolean;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

// No route has a JSON schema (the alert parser validates bodies itself), so fastify's schema
// compilers (ajv, fast-json-stringify) are never needed: left unset, fastify would load and
// initialise them on every start anyway. A schema added later fails loudly here.
function noSchemaCompiler(): never {
  throw new Error('route schemas are not supported: createFunctionServer() sets no validator or serializer compiler (see server.ts)');
}

export function createFunctionServer(options: FunctionServerOptions): FastifyInstance {
  const { config, name } = options;
  const cloudEventReplies = options.cloudEventReplies ?? 'event';
  const app = Fastify({
    logger: { level: config.logLevel, base: { function: name }, redact: ['req.headers.authorization'] },
    bodyLimit: config.bodyLimitBytes,
    // One log line per decision instead of two per request.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    genReqId: () => randomUUID(),
    // Our log lines carry the requestId themselves; a child logger per request (fastify's
    // default) costs ~10 µs of every filtered alert for bindings nothing reads.
    childLoggerFactory: (logger) => logger,
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  });
  let inFlight = 0;
  let shuttingDown = false;

  function send(reply: FastifyReply, status: number, form: RequestForm, body: Record<string, unknown>) {
    const message = renderReply(replyFormFor(form, cloudEventReplies), name, { function: name, ...body });
    return reply.code(status).headers(message.headers).send(message.body === '' ? undefined : message.body);
  }

  function rejectRequest(reply: FastifyReply, request: FastifyRequest, status: number, field: string, reason: string, extraHeaders: Record<string, string> = {}) {
    app.log.info({ requestId: request.id, status, field, reason }, 'request rejected');
    reply.headers(extraHeaders);
    send(reply, status, requestForm(request), { outcome: 'error', reason: 'bad-request', field, message: reason });
  }

  // Bodies arrive as bytes whatever their type: the alert parser decides what is acceptable
  // (415/400/422 with a reason) instead of fastify's own parsers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) app.log.error({ err: error, requestId: request.id }, 'unexpected error');
    const reason = status === 413 ? `body larger than ${config.bodyLimitBytes} bytes` : status === 500 ? 'internal error' : error.message;
    rejectRequest(reply, request, status, 'body', reason);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ outcome: 'error', reason: 'not-found', message: `no route ${request.method} ${request.url}; alerts go to POST /` });
  });

  // Declared up front so every request object keeps one shape (properties added per request
  // would make V8 treat the hot path as polymorphic).
  app.decorateRequest('counted', false);
  app.decorateRequest('authenticated', false);
  // Callback-style hooks: no promise per request on the hot path (a filtered alert is mostly hooks).
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'POST') return done();
    if (shuttingDown) return void rejectRequest(reply, request, 503, 'server', 'shutting down', { 'retry-after': '1', connection: 'close' });
    if (inFlight >= config.maxInFlight) return void rejectRequest(reply, request, 429, 'server', `more than ${config.maxInFlight} alerts in flight`, { 'retry-after': '1' });
    inFlight++;
    request.counted = true;
    if (config.authToken === undefined) return done();
    const presented = presentedHeaderToken({
      authorization: request.headers.authorization,
      customHeader: request.headers[config.authHeader] as string | undefined,
      ceExtensionHeader: request.headers[`ce-${config.authExtension}`] as string | undefined,
    });
    // A structured CloudEvent may carry the token as an extension inside its body: checked after parsing.
    if (presented === undefined && requestForm(request) === 'cloudevent-structured') return done();
    if (presented === undefined || !tokensMatch(presented, config.authToken)) {
      return void rejectRequest(reply, request, 401, 'authorization', presented === undefined ? 'missing token' : 'wrong token');
    }
    request.authenticated = true;
    done();
  });
  const release = (request: FastifyRequest) => {
    if (request.counted) {
      request.counted = false;
      inFlight--;
    }
  };
  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    release(request);
    done();
  });

  const healthy = async () => ({ status: 'ok' });
  const ready = async (_request: FastifyRequest, reply: FastifyReply) =>
    shuttingDown ? reply.code(503).send({ status: 'shutting down' }) : { status: 'ready' };
  app.get('/healthz', healthy);
  app.get('/_/health', healthy);
  app.get('/readyz', ready);
  app.get('/_/ready', ready);
  options.extraRoutes?.(app);

  app.post('/', async (request, reply) => {
    const started = performance.now();
    const form = requestForm(request);
    let parsed: ParsedAlert;
    try {
      const bytes = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      let text: string;
      try {
        text = UTF8.decode(bytes);
      } catch {
        throw new AlertRejection(400, 'body', 'not valid UTF-8');
      }
      parsed = parseAlertRequest({ headers: request.headers, body: text });
    } catch (error) {
      if (!(error instanceof AlertRejection)) throw error;
      // An unauthenticated caller learns nothing about what a valid alert looks like.
      if (config.authToken !== undefined && !request.authenticated) {
        return rejectRequest(reply, request, 401, 'authorization', 'missing token');
      }
      return rejectRequest(reply, request, error.status, error.field, error.reason);
    }
    if (config.authToken !== undefined && !request.authenticated) {
      const token = parsed.cloudEvent?.extensions[config.authExtension];
      if (typeof token !== 'string' || !tokensMatch(token, config.authToken)) {
        return rejectRequest(reply, request, 401, 'authorization', token === undefined ? 'missing token' : 'wrong token');
      }
    }
    const { alert } = parsed;
    let decision: Decision;
    try {
      decision = await options.handle(alert, { requestId: request.id, transport: parsed.transport, log: app.log });
    } catch (error) {
      app.log.error({ err: error, requestId: request.id }, 'handler failed');
      decision = failed('internal-error', `the function failed: ${(error as Error).message}`, true);
    }
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const logLevel = decision.outcome === 'error' ? 'error' : decision.notSelected ? config.unselectedLogLevel : 'info';
    app.log[logLevel](
      {
        requestId: request.id,
        uuid: alert.uuid,
        rule: alert.rule,
        priority: alert.priority,
        transport: parsed.transport,
        namespace: decision.target?.namespace ?? alert.namespace,
        pod: decision.target?.pod ?? alert.podName,
        outcome: decision.outcome,
        reason: decision.reason,
        warnings: decision.warnings,
        details: decision.details,
        // The alert's own words, kept with what was done about it (not for alerts filtered out).
        output: decision.notSelected ? undefined : alert.output,
        durationMs,
      },
      `decision: ${decision.outcome} (${decision.reason})`,
    );
    options.onDecision?.(decision, alert, durationMs);
    const status = statusForDecision(decision);
    if (status === 503) reply.header('retry-after', '5');
    const { retryable: _retryable, notSelected: _notSelected, ...body } = decision;
    return send(reply, status, parsed.transport, { ...body, alert: alertSummary(alert) });
  });

  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  return app;
}
