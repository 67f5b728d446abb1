// Shapes the answer after the request: plain JSON for plain requests; for CloudEvent requests
// a CloudEvent in the same mode (a Knative Broker treats a non-empty reply that is not a
// CloudEvent as a failed delivery and retries it), or an empty body when so configured.
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import type { AlertTransport } from '../alert/parse-request.ts';

/** Our own event type: no Trigger that routes Falco alerts (type falco.rule.output.v1) matches it. */
export const DECISION_EVENT_TYPE = 'dev.falcoresponse.decision.v1';

export type ReplyForm = 'json' | 'cloudevent-binary' | 'cloudevent-structured' | 'empty';

export interface ReplyMessage {
  headers: Record<string, string>;
  body: string;
}

export function replyFormFor(transport: AlertTransport | 'cloudevent-unknown', cloudEventReplies: 'event' | 'empty'): ReplyForm {
  if (transport === 'json') return 'json';
  if (cloudEventReplies === 'empty') return 'empty';
  return transport === 'cloudevent-structured' ? 'cloudevent-structured' : 'cloudevent-binary';
}

/**
 * CloudEvents' HTTP binding: attribute values in ce-* headers are percent-encoded outside
 * printable ASCII, and so are space, `"` and `%`. Whatever an attribute holds, the header is
 * then valid HTTP (Node refuses a control character or a non-Latin-1 one with a 500).
 */
export function percentEncoded(value: string): string {
  if (/^[\x21\x23\x24\x26-\x7e]*$/.test(value)) return value;
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0x21 && code <= 0x7e && char !== '"' && char !== '%') out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function renderReply(form: ReplyForm, functionName: string, body: Record<string, unknown>): ReplyMessage {
  if (form === 'empty') return { headers: {}, body: '' };
  if (form === 'json') return { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
  const target = body.target as { namespace?: string; pod?: string } | undefined;
  const event = new CloudEvent({
    id: randomUUID(),
    type: DECISION_EVENT_TYPE,
    source: `/falco-response-functions/${functionName}`,
    datacontenttype: 'application/json',
    ...(target?.namespace && target.pod ? { subject: `${target.namespace}/${target.pod}` } : {}),
    outcome: String(body.outcome),
    data: body,
  });
  const message = form === 'cloudevent-structured' ? HTTP.structured(event) : HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers))
    headers[name.toLowerCase()] =
      form === 'cloudevent-binary' && name.toLowerCase().startsWith('ce-') ? percentEncoded(String(value)) : String(value);
  return { headers, body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body) };
}
