// Turns an HTTP request into a typed FalcoAlert, whatever Falcosidekick output sent it:
// plain JSON (OpenFaaS, webhook), CloudEvent binary mode (cloudevents/Knative output) or
// structured mode (what a Knative Broker or another sender may deliver).
import { type CloudEvent, HTTP, ValidationError } from 'cloudevents';
import secureJson from 'secure-json-parse';
import { findDuplicateKey } from './duplicate-keys.ts';
import { AlertContentError, toFalcoAlert, type FalcoAlert } from './falco-alert.ts';
import { normalizePriority } from './priority.ts';
import type { FalcoAlertPayload } from './schema.ts';
import { validate as validateAlertPayload } from './validate-alert.generated.js';

export type AlertTransport = 'json' | 'cloudevent-binary' | 'cloudevent-structured';

export interface IncomingRequest {
  /** Header names in any case; Node gives them lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CloudEventAttributes {
  id: string;
  source: string;
  type: string;
  specversion: string;
  extensions: Record<string, unknown>;
}

export interface ParsedAlert {
  alert: FalcoAlert;
  transport: AlertTransport;
  cloudEvent?: CloudEventAttributes;
}

/** Why a request is not a usable alert; `status` follows the senders' retry rules (4xx: never retried). */
export class AlertRejection extends Error {
  readonly status: 400 | 415 | 422;
  readonly field: string;
  readonly reason: string;
  constructor(status: 400 | 415 | 422, field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.status = status;
    this.field = field;
    this.reason = reason;
  }
}

const CE_STRUCTURED = 'application/cloudevents+json';
const CE_BATCH = 'application/cloudevents-batch+json';

/** The media type without parameters, lower-cased: "application/json; charset=utf-8" → "application/json". */
export function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

function headerValue(headers: IncomingRequest['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether the request claims to be a CloudEvent (so its reply must be one, or empty). */
export function isCloudEventRequest(headers: IncomingRequest['headers']): boolean {
  const type = mediaType(headerValue(headers, 'content-type'));
  if (type === CE_STRUCTURED || type === CE_BATCH) return true;
  return Object.keys(headers).some((name) => name.toLowerCase().startsWith('ce-'));
}

function isJsonMediaType(type: string | undefined): boolean {
  return type === 'application/json' || (type !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(type) && type !== CE_STRUCTURED);
}

/**
 * JSON text → value, refusing prototype-pollution keys (`__proto__`, `constructor.prototype`)
 * and objects that carry a key twice (which one counts would depend on the reader).
 */
function parseJsonText(text: string, field: string): unknown {
  if (text.trim() === '') throw new AlertRejection(400, field, 'empty body');
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new AlertRejection(400, field, `not valid JSON: ${(error as Error).message}`);
  }
  const duplicate = typeof value === 'object' && value !== null ? findDuplicateKey(text) : undefined;
  if (duplicate !== undefined)
    throw new AlertRejection(
      400,
      field,
      `the key ${JSON.stringify(duplicate.slice(0, 300))} appears twice in one object: refusing an ambiguous alert`,
    );
  return value;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function describeSchemaError(error: {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}): [string, string] {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~');
  if (error.keyword === 'required') return [String(error.params.missingProperty), 'is required'];
  if (error.keyword === 'pattern' && path === 'priority') {
    return [path, "must be one of Falco's priorities: emergency, alert, critical, error, warning, notice, informational, debug"];
  }
  if (error.keyword === 'pattern' && path === 'time') return [path, 'must be an RFC 3339 date-time, e.g. 2021-05-02T20:24:10.361728219Z'];
  if (error.keyword === 'anyOf' && path.startsWith('output_fields.')) {
    return [path, 'must be a string, number, boolean, null or an array of those'];
  }
  if (error.keyword === 'type' && error.instancePath === '') return ['body', 'must be a JSON object (a Falco alert)'];
  return [path === '' ? 'body' : path, error.message ?? error.keyword];
}

/** Validates a decoded JSON value as a Falco alert; `prefix` names where it came from (e.g. "data."). */
export function alertFromValue(value: unknown, prefix = ''): FalcoAlert {
  if (!validateAlertPayload(value)) {
    const [field, reason] = describeSchemaError(validateAlertPayload.errors![0]!);
    throw new AlertRejection(422, prefix + field, reason);
  }
  try {
    return toFalcoAlert(value as FalcoAlertPayload);
  } catch (error) {
    if (error instanceof AlertContentError) throw new AlertRejection(422, prefix + error.field, error.reason);
    throw error;
  }
}

function lowerCaseHeaders(headers: IncomingRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function cloudEventRejection(error: unknown): AlertRejection {
  if (error instanceof AlertRejection) return error;
  if (error instanceof ValidationError) {
    const details = (error.errors ?? [])
      .map((e) =>
        typeof e === 'string'
          ? e
          : `${(e as { instancePath?: string }).instancePath ?? ''} ${(e as { message?: string }).message ?? ''}`.trim(),
      )
      .filter(Boolean);
    return new AlertRejection(400, 'cloudevent', [error.message, ...details].join('; '));
  }
  return new AlertRejection(400, 'cloudevent', (error as Error).message ?? String(error));
}

function decodeEventData(event: CloudEvent<unknown>): unknown {
  const data = event.data;
  if (data === undefined || data === null) throw new AlertRejection(422, 'data', 'the CloudEvent carries no data (the Falco alert)');
  if (typeof data === 'string') return parseJsonText(data, 'data');
  if (ArrayBuffer.isView(data)) {
    // data_base64 in structured mode: the SDK hands back one byte per array element (a Uint32Array).
    let text: string;
    try {
      text = STRICT_UTF8.decode(Uint8Array.from(data as unknown as ArrayLike<number>));
    } catch {
      throw new AlertRejection(400, 'data_base64', 'does not decode to valid UTF-8');
    }
    return parseJsonText(text, 'data_base64');
  }
  return data;
}

function attributesOf(event: CloudEvent<unknown>): CloudEventAttributes {
  const known = new Set(['id', 'source', 'type', 'specversion', 'time', 'datacontenttype', 'dataschema', 'subject', 'data', 'data_base64']);
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (!known.has(key)) extensions[key] = value;
  return { id: event.id, source: event.source, type: event.type, specversion: event.specversion, extensions };
}

// Falcosidekick copies the rule and priority into extensions, and Knative Triggers route on
// them: a body that says otherwise would let an alert reach a function not meant for it.
function rejectContradictions(alert: FalcoAlert, extensions: Record<string, unknown>): void {
  const rule = extensions.rule;
  if (typeof rule === 'string' && rule !== alert.rule) {
    throw new AlertRejection(
      422,
      'rule',
      `the CloudEvent's rule extension (${JSON.stringify(rule)}) contradicts the alert's rule (${JSON.stringify(alert.rule)})`,
    );
  }
  const priority = extensions.priority;
  if (typeof priority === 'string' && normalizePriority(priority) !== alert.priority) {
    throw new AlertRejection(
      422,
      'priority',
      `the CloudEvent's priority extension (${JSON.stringify(priority)}) contradicts the alert's priority (${JSON.stringify(alert.priority)})`,
    );
  }
}

export interface ParseOptions {
  /**
   * Called with a CloudEvent's attributes once its envelope is decoded and before its data is
   * read as an alert: a token carried as an extension is checked before the caller learns
   * anything about the alert. It throws to refuse.
   */
  checkEnvelope?: (attributes: CloudEventAttributes) => void;
}

function parseCloudEvent(request: IncomingRequest, structured: boolean, options: ParseOptions): ParsedAlert {
  const headers = lowerCaseHeaders(request.headers);
  let event: CloudEvent<unknown>;
  try {
    const type = mediaType(headers['content-type']);
    if (!structured && !isJsonMediaType(type)) {
      throw new AlertRejection(
        415,
        'content-type',
        `a binary-mode CloudEvent must carry the Falco alert as application/json, got ${JSON.stringify(headers['content-type'] ?? '(none)')}`,
      );
    }
    // Media types are case-insensitive and may carry parameters; the SDK compares them literally.
    if (type !== undefined) headers['content-type'] = type;
    // Decode the JSON ourselves first: it refuses prototype-pollution keys the SDK would copy.
    const body = parseJsonText(request.body, structured ? 'body' : 'data');
    if (structured && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new AlertRejection(400, 'body', 'a structured CloudEvent must be a JSON object');
    }
    // The spec makes them exclusive; the SDK would quietly prefer data_base64.
    if (structured && Object.hasOwn(body as object, 'data') && Object.hasOwn(body as object, 'data_base64')) {
      throw new AlertRejection(400, 'body', 'a structured CloudEvent carries either data or data_base64, not both');
    }
    const decoded = HTTP.toEvent({ headers, body });
    if (Array.isArray(decoded))
      throw new AlertRejection(415, 'content-type', 'CloudEvent batches are not accepted: send one alert per request');
    event = decoded as CloudEvent<unknown>;
    event.validate();
    if (event.specversion !== '1.0') {
      throw new AlertRejection(
        400,
        'cloudevent',
        `specversion ${JSON.stringify(event.specversion)} is not supported: send CloudEvents 1.0`,
      );
    }
  } catch (error) {
    throw cloudEventRejection(error);
  }
  const attributes = attributesOf(event);
  options.checkEnvelope?.(attributes);
  const alert = alertFromValue(decodeEventData(event), 'data.');
  rejectContradictions(alert, attributes.extensions);
  return { alert, transport: structured ? 'cloudevent-structured' : 'cloudevent-binary', cloudEvent: attributes };
}

/**
 * A body without headers (the one-shot mode's $BODY or stdin) as a request: a JSON object with a
 * specversion is a structured CloudEvent, anything else is read as a plain alert.
 */
export function requestFromBody(body: string): IncomingRequest {
  const structured = body.trimStart().startsWith('{') && /"specversion"\s*:/.test(body);
  return { headers: { 'content-type': structured ? CE_STRUCTURED : 'application/json' }, body };
}

/** Parses any accepted form of alert request; throws AlertRejection naming the field and the reason. */
export function parseAlertRequest(request: IncomingRequest, options: ParseOptions = {}): ParsedAlert {
  const type = mediaType(headerValue(request.headers, 'content-type'));
  if (type === CE_BATCH) throw new AlertRejection(415, 'content-type', 'CloudEvent batches are not accepted: send one alert per request');
  if (type === CE_STRUCTURED) return parseCloudEvent(request, true, options);
  if (isCloudEventRequest(request.headers)) return parseCloudEvent(request, false, options);
  if (!isJsonMediaType(type)) {
    throw new AlertRejection(
      415,
      'content-type',
      `expected application/json or ${CE_STRUCTURED}, got ${JSON.stringify(headerValue(request.headers, 'content-type') ?? '(none)')}`,
    );
  }
  return { alert: alertFromValue(parseJsonText(request.body, 'body')), transport: 'json' };
}
