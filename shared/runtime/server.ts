// The HTTP runtime every function's entry point starts: it owns transport, authentication,
// limits, health, logging and shutdown; the function only turns an alert into a Decision.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { AlertRejection, isCloudEventRequest, mediaType, parseAlertRequest, type AlertTransport, type ParsedAlert } from '../alert/parse-request.ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { presentedHeaderToken, tokensMatch } from './auth.ts';
import { boundedText } from './bounded-text.ts';
import { failed, statusForDecision, type Decision } from '../respond/decision.ts';
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
  /** Called with the status of each alert request refused before a decision (401, 400, 413, 415, 422, 429, 503): metrics. */
  onRejected?: (status: number) => void;
  /** Extra routes, e.g. /metrics. */
  extraRoutes?: (app: FastifyInstance) => void;
  /** Where log lines go (default: pino's stdout). */
  logStream?: NodeJS.WritableStream | { write(line: string): void };
}

type RequestForm = AlertTransport | 'cloudevent-unknown';

function requestForm(request: FastifyRequest): RequestForm {
  if (!isCloudEventRequest(request.headers)) return 'json';
  return mediaType(request.headers['content-type']) === 'application/cloudevents+json' ? 'cloudevent-structured' : 'cloudevent-unknown';
}

function alertSummary(alert: FalcoAlert | undefined) {
  return alert ? { uuid: alert.uuid, rule: alert.rule, priority: alert.priority, time: alert.timeText } : undefined;
}

/** A token carried inside a structured CloudEvent was missing or wrong (header tokens are checked before the body). */
class EnvelopeUnauthorized extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted against MAX_IN_FLIGHT once it passed parsing and authentication (released once, on response or abort). */
    counted: boolean;
    /** A valid token arrived in a header (a structured CloudEvent may carry it in its body instead). */
    authenticated: boolean;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Falco's outputs are a line or two; the schema allows 256 KiB, more than a log line should carry. */
const MAX_LOGGED_OUTPUT = 8192;

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
    logger: { level: config.logLevel, base: { function: name }, redact: ['req.headers.authorization'], ...(options.logStream ? { stream: options.logStream } : {}) },
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
  });
  let inFlight = 0;
  let shuttingDown = false;

  // Runs inside the parser once a structured CloudEvent's envelope is decoded, before its data
  // is validated: only a caller with the token learns why an alert was refused.
  const checkEnvelopeToken = (attributes: { extensions: Record<string, unknown> }): void => {
    if (config.authToken === undefined) return;
    const token = attributes.extensions[config.authExtension];
    if (typeof token !== 'string') throw new EnvelopeUnauthorized('missing token');
    if (!tokensMatch(token, config.authToken)) throw new EnvelopeUnauthorized('wrong token');
  };

  function send(reply: FastifyReply, status: number, form: RequestForm, body: Record<string, unknown>) {
    const message = renderReply(replyFormFor(form, cloudEventReplies), name, { function: name, ...body });
    return reply.code(status).headers(message.headers).send(message.body === '' ? undefined : message.body);
  }

  function rejectRequest(reply: FastifyReply, request: FastifyRequest, status: number, field: string, reason: string, extraHeaders: Record<string, string> = {}) {
    app.log.info({ requestId: request.id, status, field, reason }, 'request rejected');
    options.onRejected?.(status);
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
  // Authentication comes first and holds nothing: a caller without a token is refused before
  // its body is read, and the in-flight slot is only taken by work that passed it (in the route).
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'POST') return done();
    if (shuttingDown) return void rejectRequest(reply, request, 503, 'server', 'shutting down', { 'retry-after': '1', connection: 'close' });
    if (config.authToken === undefined) return done();
    const presented = presentedHeaderToken({
      authorization: request.headers.authorization,
      customHeader: request.headers[config.authHeader] as string | undefined,
      ceExtensionHeader: request.headers[`ce-${config.authExtension}`] as string | undefined,
    });
    // A structured CloudEvent may carry the token as an extension inside its body: checked once
    // its envelope is decoded (the body's read is bounded by REQUEST_TIMEOUT_MS and the body limit).
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
      parsed = parseAlertRequest({ headers: request.headers, body: text }, request.authenticated || config.authToken === undefined ? {} : { checkEnvelope: (attributes) => {
        checkEnvelopeToken(attributes);
        request.authenticated = true;
      } });
    } catch (error) {
      if (error instanceof EnvelopeUnauthorized) return rejectRequest(reply, request, 401, 'authorization', error.reason);
      if (!(error instanceof AlertRejection)) throw error;
      // An unauthenticated caller learns nothing about what a valid alert looks like.
      if (config.authToken !== undefined && !request.authenticated) {
        return rejectRequest(reply, request, 401, 'authorization', 'missing token');
      }
      return rejectRequest(reply, request, error.status, error.field, error.reason);
    }
    // Plain JSON and binary-mode requests without a header token never get here (refused in
    // onRequest); a structured one was checked by checkEnvelopeToken.
    if (config.authToken !== undefined && !request.authenticated) return rejectRequest(reply, request, 401, 'authorization', 'missing token');
    if (inFlight >= config.maxInFlight) return rejectRequest(reply, request, 429, 'server', `more than ${config.maxInFlight} alerts in flight`, { 'retry-after': '1' });
    inFlight++;
    request.counted = true;
    const { alert } = parsed;
    let decision: Decision;
    try {
      decision = await options.handle(alert, { requestId: request.id, transport: parsed.transport, log: app.log });
    } catch (error) {
      app.log.error({ err: error, requestId: request.id }, 'handler failed');
      decision = failed('internal-error', `the function failed: ${(error as Error).message}`, true);
    }
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    // Names and text from the alert are bounded for the log (validated names are short anyway).
    const namespace = decision.target?.namespace ?? alert.namespace;
    const pod = decision.target?.pod ?? alert.podName;
    const logLevel = decision.outcome === 'error' ? 'error' : decision.notSelected ? config.unselectedLogLevel : 'info';
    app.log[logLevel](
      {
        requestId: request.id,
        uuid: alert.uuid,
        rule: alert.rule,
        priority: alert.priority,
        transport: parsed.transport,
        namespace: namespace === undefined ? undefined : boundedText(namespace, 253),
        pod: pod === undefined ? undefined : boundedText(pod, 253),
        outcome: decision.outcome,
        reason: decision.reason,
        warnings: decision.warnings,
        details: decision.details,
        // The alert's own words, kept with what was done about it (not for alerts filtered out).
        output: decision.notSelected || alert.output === undefined ? undefined : boundedText(alert.output, MAX_LOGGED_OUTPUT),
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
