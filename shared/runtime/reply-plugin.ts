// Every answer of an alert request goes through here: `reply.answer` in the request's own form
// (JSON, or a CloudEvent), `reply.reject` for a request refused before any decision.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isCloudEventRequest, mediaType, type AlertTransport } from '../alert/parse-request.ts';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { DecisionObserver } from '../respond/decision-observer.ts';
import { rootPlugin } from './plugin.ts';
import { renderReply, replyFormFor } from './reply.ts';

declare module 'fastify' {
  interface FastifyReply {
    answer(status: number, form: RequestForm, body: Record<string, unknown>): FastifyReply;
    reject(status: number, field: string, reason: string, headers?: Record<string, string>): FastifyReply;
  }
}

type Headers = Record<string, string>;

export type RequestForm = AlertTransport | 'cloudevent-unknown';

/** The form a request arrived in, from its headers alone (before its body is parsed). */
export function requestForm(request: FastifyRequest): RequestForm {
  if (!isCloudEventRequest(request.headers)) return 'json';
  return mediaType(request.headers['content-type']) === 'application/cloudevents+json' ? 'cloudevent-structured' : 'cloudevent-unknown';
}

interface ReplyOptions {
  name: string;
  config: Pick<RuntimeConfig, 'cloudEventReplies'>;
  observer: Pick<DecisionObserver, 'rejected'>;
}

export const replyPlugin = rootPlugin<ReplyOptions>('falco-response-reply', (app, { name, config, observer }, done) => {
  app.decorateReply('answer', function (this: FastifyReply, status: number, form: RequestForm, body: Record<string, unknown>) {
    const message = renderReply(replyFormFor(form, config.cloudEventReplies), name, { function: name, ...body });
    return this.code(status)
      .headers(message.headers)
      .send(message.body === '' ? undefined : message.body);
  });
  app.decorateReply('reject', function (this: FastifyReply, status: number, field: string, reason: string, headers?: Headers) {
    observer.rejected(status, { requestId: this.request.id, field, reason });
    if (headers) this.headers(headers);
    return this.answer(status, requestForm(this.request), { outcome: 'error', reason: 'bad-request', field, message: reason });
  });
  done();
});
