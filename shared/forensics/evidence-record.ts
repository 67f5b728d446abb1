// One action's evidence as one Secret, and back. A Secret because logs can hold credentials:
// Secrets have their own RBAC (no function may read one; only the operator's role can) and
// are what encryption at rest covers; it is immutable once written, so evidence cannot be
// edited, only deleted. Data keys: summary.json, pod.json, owner.json, alert.json,
// events.json and log.<container>.<current|previous>[.gz] (gzip only when it saves a fifth).
// The API server refuses a Secret whose data exceeds 1 MiB: logs are cut first, then the
// oldest Events, and the summary says what was cut.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CoreV1Event, V1Pod, V1Secret } from '@kubernetes/client-node';
import { KEY_PREFIX, KEYS, ruleAnnotation } from '../k8s/keys.ts';
import { lastBytes } from './log-tail.ts';

export const EVIDENCE_SECRET_TYPE = `${KEY_PREFIX}/evidence`;
/** What the data may hold in all: the API server's 1 MiB, less room for the keys and the summary. */
export const EVIDENCE_DATA_LIMIT = 1024 * 1024 - 16 * 1024;

export interface CapturedLog {
  container: string;
  instance: 'current' | 'previous';
  text: string;
  cut?: string;
}

export interface EvidenceContent {
  pod: V1Pod;
  owner: { kind: string; name: string | undefined; chain: string[] };
  alert: Record<string, unknown>;
  events: CoreV1Event[];
  logs: CapturedLog[];
}

export interface EvidenceSummary {
  function: string;
  pod: { namespace: string; name: string; uid: string };
  rule: string;
  alertTime: string;
  capturedAt: string;
  mode: 'facts' | 'logs';
  /** What was shortened to fit (a log's front, older Events). */
  cut: string[];
  /** What could not be captured (a timeout, an error): the action went ahead without it. */
  missing: string[];
}

export interface EvidenceRecord {
  name: string;
  namespace: string;
  uid: string | undefined;
  createdAt: string | undefined;
  summary: EvidenceSummary;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** A label value for any text: itself when it is one, else a readable slug with a hash. */
export function labelValue(text: string): string {
  if (text.length <= 63 && LABEL_VALUE.test(text)) return text;
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 46)
    .replace(/-+$/, '');
  return slug ? `${slug}-${hash(text)}` : hash(text);
}

/** One Secret per action: the function and the pod's UID (a retry of the same action finds its own). */
export function evidenceSecretName(fn: string, uid: string): string {
  return `${fn}-${uid}`.toLowerCase().slice(0, 253);
}

export function logKey(log: Pick<CapturedLog, 'container' | 'instance'>): string {
  return `log.${log.container}.${log.instance}`;
}

interface Stored {
  key: string;
  bytes: Buffer;
}

function json(key: string, value: unknown): Stored {
  return { key, bytes: Buffer.from(JSON.stringify(value, null, 1)) };
}

function storedLog(log: CapturedLog): Stored {
  const raw = Buffer.from(log.text, 'utf8');
  const zipped = gzipSync(raw);
  return zipped.length < raw.length * 0.8 ? { key: `${logKey(log)}.gz`, bytes: zipped } : { key: logKey(log), bytes: raw };
}

const sizeOf = (items: Stored[]) => items.reduce((sum, item) => sum + item.key.length + item.bytes.length, 0);

/** Cuts the logs' fronts until they take at most `budget` bytes stored, the biggest first (water-filling). */
function fitLogs(logs: CapturedLog[], budget: number, cut: string[]): Stored[] {
  let stored = logs.map(storedLog);
  for (let round = 0; round < 6 && sizeOf(stored) > budget; round++) {
    const share = fairShare(
      stored.map((s) => s.bytes.length + s.key.length),
      budget,
    );
    stored = stored.map((item, i) => {
      if (item.bytes.length + item.key.length <= share) return item;
      const log = logs[i]!;
      const ratio = item.bytes.length / Math.max(1, Buffer.byteLength(log.text));
      const keep = Math.max(0, Math.floor(((share - item.key.length) / ratio) * 0.95));
      const kept = lastBytes(log.text, keep);
      logs[i] = {
        ...log,
        text: kept.text,
        cut: `kept the last ${Buffer.byteLength(kept.text)} bytes to stay under the API server's 1 MiB`,
      };
      return storedLog(logs[i]!);
    });
  }
  for (const log of logs) if (log.cut) cut.push(`log ${log.container} (${log.instance}): ${log.cut}`);
  return stored;
}

/** The largest per-item size such that the items, each capped at it, fit the budget. */
function fairShare(sizes: number[], budget: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = left / (sorted.length - i);
    if (sorted[i]! > share) return Math.floor(share);
    left -= sorted[i]!;
  }
  return budget;
}

/** The Secret for one action's evidence, under the size limit, and its summary (what was cut). */
export function evidenceSecret(
  content: EvidenceContent,
  summary: Omit<EvidenceSummary, 'cut'> & { cut?: string[] },
  namespace: string,
): { secret: V1Secret; summary: EvidenceSummary } {
  const cut = [...(summary.cut ?? [])];
  const fixed = [json('pod.json', content.pod), json('owner.json', content.owner), json('alert.json', content.alert)];
  let events = [...content.events];
  let eventsItem = json('events.json', events);
  // The newest Events say most about what the pod was doing: the oldest go first.
  while (sizeOf([...fixed, eventsItem]) > EVIDENCE_DATA_LIMIT / 2 && events.length > 0) {
    events = events.slice(Math.ceil(events.length / 4));
    eventsItem = json('events.json', events);
  }
  if (events.length < content.events.length) cut.push(`events: kept the newest ${events.length} of ${content.events.length}`);
  const logs = fitLogs([...content.logs], EVIDENCE_DATA_LIMIT - sizeOf([...fixed, eventsItem]), cut);
  const full: EvidenceSummary = { ...summary, cut };
  const items = [json('summary.json', full), ...fixed, eventsItem, ...logs];
  const { pod } = full;
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: EVIDENCE_SECRET_TYPE,
    immutable: true,
    metadata: {
      name: evidenceSecretName(full.function, pod.uid),
      namespace,
      labels: {
        [KEYS.evidence.key]: 'true',
        [KEYS.evidencePodNamespace.key]: pod.namespace,
        [KEYS.evidencePodName.key]: labelValue(pod.name),
        [KEYS.evidencePodUid.key]: pod.uid,
        [KEYS.evidenceFunction.key]: full.function,
        [KEYS.evidenceRule.key]: labelValue(full.rule.toLowerCase()),
        [KEYS.evidenceCapturedAt.key]: String(Math.floor(Date.parse(full.capturedAt) / 1000)),
      },
      annotations: {
        [KEYS.evidencePod.key]: `${pod.namespace}/${pod.name}`,
        [KEYS.evidenceAlertRule.key]: ruleAnnotation(full.rule),
        [KEYS.evidenceAlertTime.key]: full.alertTime,
        [KEYS.evidenceSummary.key]: JSON.stringify(boundedSummary(full)),
      },
    },
    data: Object.fromEntries(items.map((item) => [item.key, item.bytes.toString('base64')])),
  };
  return { secret, summary: full };
}

// The annotation copy of the summary is what `evidence list` reads: its lists are bounded.
function boundedSummary(summary: EvidenceSummary): EvidenceSummary {
  const bound = (list: string[]) => list.slice(0, 20).map((item) => item.slice(0, 300));
  return { ...summary, rule: ruleAnnotation(summary.rule), cut: bound(summary.cut), missing: bound(summary.missing) };
}

export function isEvidenceSecret(secret: V1Secret): boolean {
  return secret.type === EVIDENCE_SECRET_TYPE && secret.metadata?.labels?.[KEYS.evidence.key] === 'true';
}

/** What `evidence list` shows, from the labels and annotations alone. */
export function evidenceRecordOf(secret: V1Secret): EvidenceRecord {
  const metadata = secret.metadata ?? {};
  const summary = JSON.parse(metadata.annotations?.[KEYS.evidenceSummary.key] ?? '{}') as EvidenceSummary;
  return {
    name: metadata.name ?? '',
    namespace: metadata.namespace ?? '',
    uid: metadata.uid,
    createdAt: toIso(metadata.creationTimestamp),
    summary,
  };
}

function toIso(value: Date | string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

/** Everything the Secret holds, decoded. */
export function evidenceContentOf(secret: V1Secret): EvidenceContent & { summary: EvidenceSummary } {
  const data = secret.data ?? {};
  const bytes = (key: string) => (data[key] === undefined ? undefined : Buffer.from(data[key]!, 'base64'));
  const parsed = <T>(key: string, fallback: T): T => {
    const raw = bytes(key);
    return raw ? (JSON.parse(raw.toString('utf8')) as T) : fallback;
  };
  const summary = parsed<EvidenceSummary>('summary.json', evidenceRecordOf(secret).summary);
  const logs: CapturedLog[] = [];
  for (const key of Object.keys(data).sort()) {
    const match = /^log\.(.+)\.(current|previous)(\.gz)?$/.exec(key);
    if (!match) continue;
    const raw = bytes(key)!;
    const text = (match[3] ? gunzipSync(raw) : raw).toString('utf8');
    const cut = summary.cut.find((c) => c.startsWith(`log ${match[1]} (${match[2]}):`));
    logs.push({ container: match[1]!, instance: match[2] as CapturedLog['instance'], text, ...(cut && { cut }) });
  }
  return {
    summary,
    pod: parsed<V1Pod>('pod.json', {}),
    owner: parsed('owner.json', { kind: 'unknown', name: undefined, chain: [] }),
    alert: parsed('alert.json', {}),
    events: parsed<CoreV1Event[]>('events.json', []),
    logs,
  };
}
