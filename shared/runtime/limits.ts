// Limits on work the runtime accepts: none once it is shutting down, at most MAX_IN_FLIGHT alerts
// at once. The one count of alerts in flight (the metrics gauge reads it).
import type { FastifyRequest } from 'fastify';
import { rootPlugin } from './plugin.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set once the server starts closing: new alerts get 503, /readyz says so. */
    closing: boolean;
  }
  interface FastifyRequest {
    /** Holds an in-flight slot (released once, on response or abort). */
    counted: boolean;
  }
}

export class InFlight {
  count = 0;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a slot for the request, or says there is none. */
  take(request: FastifyRequest): boolean {
    if (this.count >= this.max) return false;
    this.count++;
    request.counted = true;
    return true;
  }

  release(request: FastifyRequest): void {
    if (!request.counted) return;
    request.counted = false;
    this.count--;
  }
}

export const limitsPlugin = rootPlugin<{ inFlight: InFlight }>('falco-response-limits', (app, { inFlight }, done) => {
  app.decorate('closing', false);
  app.decorateRequest('counted', false);
  // Callback-style hooks: no promise per request on the hot path (a filtered alert is mostly hooks).
  app.addHook('onRequest', (request, reply, next) => {
    if (request.method !== 'POST' || !app.closing) return next();
    reply.reject(503, 'server', 'shutting down', { 'retry-after': '1', connection: 'close' });
  });
  app.addHook('onResponse', (request, _reply, next) => {
    inFlight.release(request);
    next();
  });
  app.addHook('onRequestAbort', (request, next) => {
    inFlight.release(request);
    next();
  });
  app.addHook('preClose', (next) => {
    app.closing = true;
    next();
  });
  done();
});
