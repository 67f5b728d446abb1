// POST /: parse the request, hand the alert to the function, answer with its decision.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { AlertRejection, parseAlertRequest, type AlertTransport, type ParsedAlert } from '../alert/parse-request.ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { failed, statusForDecision, type Decision } from '../respond/decision.ts';
import type { DecisionObserver } from '../respond/decision-observer.ts';
import { envelopeCheck, EnvelopeUnauthorized } from './auth-plugin.ts';
import type { InFlight } from './limits.ts';
import { rootPlugin } from './plugin.ts';

export interface HandlerContext {
  requestId: string;
  transport: AlertTransport;
  log: FastifyBaseLogger;
}

export type AlertHandler = (alert: FalcoAlert, context: HandlerContext) => Promise<Decision>;

interface AlertRouteOptions {
  config: Pick<RuntimeConfig, 'authToken' | 'authExtension' | 'maxInFlight'>;
  handle: AlertHandler;
  inFlight: InFlight;
  observer: Pick<DecisionObserver, 'decided'>;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A request body as text, refused (400) unless it is valid UTF-8. */
export function utf8Body(bytes: Buffer | undefined): string {
  try {
    return UTF8.decode(bytes ?? Buffer.alloc(0));
  } catch {
    throw new AlertRejection(400, 'body', 'not valid UTF-8');
  }
}

/** The parsed alert, or undefined once the request was refused. */
function parse(request: FastifyRequest, reply: FastifyReply, config: AlertRouteOptions['config']): ParsedAlert | undefined {
  try {
    return parseAlertRequest(
      { headers: request.headers, body: utf8Body(request.body as Buffer | undefined) },
      { checkEnvelope: envelopeCheck(request, config) },
    );
  } catch (error) {
    if (error instanceof EnvelopeUnauthorized) return void reply.reject(401, 'authorization', error.reason);
    if (!(error instanceof AlertRejection)) throw error;
    // An unauthenticated caller learns nothing about what a valid alert looks like.
    if (!request.authenticated) return void reply.reject(401, 'authorization', 'missing token');
    return void reply.reject(error.status, error.field, error.reason);
  }
}

/** What the answer to a decided alert says: the decision without its internal flags, and which alert it was. */
export function decisionAnswer(decision: Decision, alert: FalcoAlert): Record<string, unknown> {
  const { retryable: _retryable, notSelected: _notSelected, ...body } = decision;
  return { ...body, alert: { uuid: alert.uuid, rule: alert.rule, priority: alert.priority, time: alert.timeText } };
}

export const alertRoute = rootPlugin<AlertRouteOptions>('falco-response-alerts', (app, { config, handle, inFlight, observer }, done) => {
  app.post('/', async (request, reply) => {
    const started = performance.now();
    const parsed = parse(request, reply, config);
    if (parsed === undefined) return reply;
    // Plain JSON and binary-mode requests without a header token were refused in onRequest; a
    // structured one was checked in its envelope, unless it carried no token at all.
    if (!request.authenticated) return reply.reject(401, 'authorization', 'missing token');
    if (!inFlight.take(request)) {
      return reply.reject(429, 'server', `more than ${config.maxInFlight} alerts in flight`, { 'retry-after': '1' });
    }
    const { alert, transport } = parsed;
    let decision: Decision;
    try {
      decision = await handle(alert, { requestId: request.id, transport, log: app.log });
    } catch (error) {
      app.log.error({ err: error, requestId: request.id }, 'handler failed');
      decision = failed('internal-error', `the function failed: ${(error as Error).message}`, true);
    }
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    observer.decided(decision, alert, { requestId: request.id, transport, durationMs });
    const status = statusForDecision(decision);
    if (status === 503) reply.header('retry-after', '5');
    return reply.answer(status, transport, decisionAnswer(decision, alert));
  });
  done();
});
