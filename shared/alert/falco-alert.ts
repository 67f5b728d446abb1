// The typed alert every function works with, built from a payload the schema accepted.
import { normalizePriority, type FalcoPriority } from './priority.ts';
import type { FalcoAlertPayload } from './schema.ts';

export type OutputFieldValue = string | number | boolean | null | Array<string | number | boolean | null>;

export interface FalcoAlert {
  readonly uuid: string | undefined;
  readonly rule: string;
  readonly priority: FalcoPriority;
  /** The alert's time as sent (RFC 3339, up to nanoseconds): kept as text so nothing is rounded. */
  readonly timeText: string;
  readonly time: Date;
  readonly source: string | undefined;
  readonly hostname: string | undefined;
  readonly output: string | undefined;
  readonly tags: readonly string[];
  readonly outputFields: Readonly<Record<string, OutputFieldValue>>;
  /** `k8s.ns.name`, when the alert names one (absent, null or empty count as not named); for a k8saudit alert about a pod, `ka.target.namespace`. */
  readonly namespace: string | undefined;
  /** `k8s.pod.name`, when the alert names one; for a k8saudit alert about a pod, `ka.target.name`. */
  readonly podName: string | undefined;
  /** Where the target came from: the syscall's container (k8s.*), or the audit event's object (ka.target.*). */
  readonly targetSource: 'container' | 'k8saudit' | undefined;
  readonly containerId: string | undefined;
  readonly containerName: string | undefined;
  /** `container.image.repository[:container.image.tag]`, or `container.image` when only that is set. */
  readonly image: string | undefined;
}

export class AlertContentError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A named, non-empty string field, or undefined: Falco prints null or "<NA>" for unknown values. */
function stringField(fields: Record<string, OutputFieldValue>, name: string): string | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '<NA>' ? undefined : trimmed;
}

// Falco prints the runtime's id cut to 12 hex digits (container.full_id has all 64), or
// "host" for events outside any container. Anything else is not an id a runtime made, and
// an unchecked one would let a caller grow the dedupe memory (it is part of its key).
const CONTAINER_ID = /^(?:[0-9a-fA-F]{12,64}|host)$/;

function containerIdOf(fields: Record<string, OutputFieldValue>): string | undefined {
  const id = stringField(fields, 'container.id');
  if (id !== undefined && !CONTAINER_ID.test(id)) {
    throw new AlertContentError(
      'output_fields.container.id',
      `must be 12 to 64 hex digits (or "host"), got ${id.length > 80 ? `${id.length} characters` : JSON.stringify(id)}`,
    );
  }
  return id;
}

/**
 * The pod an alert is about. Syscall alerts name it in k8s.ns.name / k8s.pod.name; alerts
 * from Falco's k8saudit plugin (e.g. "Attach/Exec Pod") name the audited object instead,
 * in ka.target.*: only a pod (ka.target.resource=pods, subresources such as exec included)
 * is a target, never a Secret, a namespace or anything else.
 */
function targetOf(fields: Record<string, OutputFieldValue>): Pick<FalcoAlert, 'namespace' | 'podName' | 'targetSource'> {
  const namespace = stringField(fields, 'k8s.ns.name');
  const podName = stringField(fields, 'k8s.pod.name');
  if (namespace !== undefined || podName !== undefined) return { namespace, podName, targetSource: 'container' };
  if (stringField(fields, 'ka.target.resource') === 'pods') {
    return {
      namespace: stringField(fields, 'ka.target.namespace'),
      podName: stringField(fields, 'ka.target.name'),
      targetSource: 'k8saudit',
    };
  }
  return { namespace: undefined, podName: undefined, targetSource: undefined };
}

function imageOf(fields: Record<string, OutputFieldValue>): string | undefined {
  const repository = stringField(fields, 'container.image.repository');
  const tag = stringField(fields, 'container.image.tag');
  if (repository) return tag ? `${repository}:${tag}` : repository;
  return stringField(fields, 'container.image');
}

/** Builds the typed alert from a schema-valid payload; rejects what the schema cannot express. */
export function toFalcoAlert(payload: FalcoAlertPayload): FalcoAlert {
  const priority = normalizePriority(payload.priority);
  if (!priority) throw new AlertContentError('priority', `unknown priority ${JSON.stringify(payload.priority)}`);
  // RFC 3339 allows a leap second (:60) that Date cannot represent: count it as :59.
  const time = new Date(payload.time.replace(/:60(?=[.Zz+-])/, ':59'));
  // The pattern admits 2021-02-31; Date rolls such a day over instead of failing, so compare back.
  if (Number.isNaN(time.getTime()) || !sameCalendarDay(payload.time, time)) {
    throw new AlertContentError('time', `not a real date-time: ${JSON.stringify(payload.time)}`);
  }
  const fields = payload.output_fields as Record<string, OutputFieldValue>;
  return Object.freeze({
    uuid: payload.uuid,
    rule: payload.rule,
    priority,
    timeText: payload.time,
    time,
    source: payload.source,
    hostname: payload.hostname,
    output: payload.output,
    tags: Object.freeze([...(payload.tags ?? [])]),
    outputFields: fields,
    ...targetOf(fields),
    containerId: containerIdOf(fields),
    containerName: stringField(fields, 'container.name'),
    image: imageOf(fields),
  });
}

function sameCalendarDay(text: string, parsed: Date): boolean {
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  const offsetMinutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  const local = new Date(parsed.getTime() + offsetMinutes * 60_000);
  const day = Number(text.slice(8, 10));
  return local.getUTCDate() === day;
}
