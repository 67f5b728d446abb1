// Authenticates alert requests: a caller without the token is refused before its body is read.
import type { FastifyRequest } from 'fastify';
import type { CloudEventAttributes } from '../alert/parse-request.ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { presentedHeaderToken, tokenVerdict, type TokenVerdict } from './auth.ts';
import { rootPlugin } from './plugin.ts';
import { requestForm } from './reply-plugin.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A valid token arrived in a header (a structured CloudEvent may carry it in its body instead). */
    authenticated: boolean;
  }
}

type AuthSettings = Pick<RuntimeConfig, 'authToken' | 'authHeader' | 'authExtension'>;

/** The verdict on a request's header token (`ceExtension`: also the Ce-<extension> header alerts may carry). */
type WithToken = AuthSettings & { authToken: string };

export function headerTokenVerdict(request: FastifyRequest, config: WithToken, ceExtension: boolean): TokenVerdict {
  const presented = presentedHeaderToken({
    authorization: request.headers.authorization,
    customHeader: request.headers[config.authHeader] as string | undefined,
    ceExtensionHeader: ceExtension ? (request.headers[`ce-${config.authExtension}`] as string | undefined) : undefined,
  });
  return tokenVerdict(presented, config.authToken);
}

/** A token carried inside a structured CloudEvent was missing or wrong (header tokens are checked before the body). */
export class EnvelopeUnauthorized extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/**
 * For the parser, when the request has not authenticated yet: runs once a structured CloudEvent's
 * envelope is decoded, before its data is validated, so only a caller with the token learns why
 * an alert was refused.
 */
export function envelopeCheck(
  request: FastifyRequest,
  config: Pick<RuntimeConfig, 'authToken' | 'authExtension'>,
): ((attributes: CloudEventAttributes) => void) | undefined {
  const expected = config.authToken;
  if (expected === undefined || request.authenticated) return undefined;
  return (attributes) => {
    const token = attributes.extensions[config.authExtension];
    const verdict = tokenVerdict(typeof token === 'string' ? token : undefined, expected);
    if (verdict !== 'ok') throw new EnvelopeUnauthorized(verdict);
    request.authenticated = true;
  };
}

export const authPlugin = rootPlugin<{ config: AuthSettings }>('falco-response-auth', (app, { config }, done) => {
  // Declared up front so every request object keeps one shape (V8 keeps the hot path monomorphic).
  app.decorateRequest('authenticated', config.authToken === undefined);
  const expected = config.authToken;
  if (expected !== undefined) {
    const settings = { ...config, authToken: expected };
    // Callback-style: no promise per request on the hot path. Holds nothing: the in-flight slot
    // is only taken by work that passed it (in the route).
    app.addHook('onRequest', (request, reply, next) => {
      if (request.method !== 'POST') return next();
      const verdict = headerTokenVerdict(request, settings, true);
      // A structured CloudEvent may carry the token inside its body: checked once its envelope is
      // decoded (the body's read is bounded by REQUEST_TIMEOUT_MS and the body limit).
      if (verdict === 'missing token' && requestForm(request) === 'cloudevent-structured') return next();
      if (verdict !== 'ok') return void reply.reject(401, 'authorization', verdict);
      request.authenticated = true;
      next();
    });
  }
  done();
});
