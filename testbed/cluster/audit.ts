// The API server's audit log: every write (who, what, result; no bodies) as a JSON line, read
// back to count what an identity wrote. The functions' writes are counted by their
// ServiceAccount's username; on the reacting cluster the controllers' writes (each as its own
// kube-system ServiceAccount), the scheduler's and kwok's sit beside them.
import { readFileSync } from 'node:fs';

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

/** The functions' ServiceAccounts (testbed/functions: namespace falco-response): their reads are audited too. */
export const AUDITED_READERS_GROUP = 'system:serviceaccounts:falco-response';

// Writes are audited; of the reads, only the functions' own (to count the API calls an action
// costs): everyone else's reads (controllers' watches and lists) would bury them. Metadata
// level: who, what, result, no bodies.
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [${WRITE_VERBS.join(', ')}]
  - level: Metadata
    userGroups: ['${AUDITED_READERS_GROUP}']
  - level: None
`;

/** The subset of an audit.k8s.io/v1 Event the tests look at. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups?: string[] };
  impersonatedUser?: { username: string; groups?: string[] };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number; status?: string; reason?: string; message?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

export interface AuditFilter {
  user?: string;
  namespace?: string;
  verbs?: string[];
  resource?: string;
  /** Epoch milliseconds; keeps events whose request was received at or after it. */
  since?: number;
}

export interface WriteFilter extends AuditFilter {
  /** Count only writes that succeeded (responseStatus.code < 300). */
  succeededOnly?: boolean;
}

/** ResponseComplete events from the audit log, oldest first, matching every given filter field. */
export function readAudit(cluster: { auditLogPath: string }, filter: AuditFilter = {}): AuditEvent[] {
  return parseAuditLog(readFileSync(cluster.auditLogPath, 'utf8')).filter(
    (event) => event.stage === 'ResponseComplete' && matchesAuditFilter(event, filter),
  );
}

function parseAuditLog(text: string): AuditEvent[] {
  // Only a line still being written can be incomplete, and it has no trailing newline yet.
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEvent);
}

function matchesAuditFilter(event: AuditEvent, filter: AuditFilter): boolean {
  if (filter.user !== undefined && event.user.username !== filter.user) return false;
  if (filter.namespace !== undefined && event.objectRef?.namespace !== filter.namespace) return false;
  if (filter.verbs !== undefined && !filter.verbs.includes(event.verb)) return false;
  if (filter.resource !== undefined && event.objectRef?.resource !== filter.resource) return false;
  if (filter.since !== undefined && receivedAtMs(event) < filter.since) return false;
  return true;
}

/** When the API server received the request, in epoch milliseconds. */
export function receivedAtMs(event: AuditEvent): number {
  // Audit timestamps have microseconds; compare at millisecond precision like Date.now().
  return Date.parse(event.requestReceivedTimestamp.replace(/(\.\d{3})\d+/, '$1'));
}

/** Number of audited writes (create/update/patch/delete/deletecollection) matching `filter`. */
export function countWrites(cluster: { auditLogPath: string }, filter: WriteFilter = {}): number {
  return writesOf(cluster, filter).length;
}

/** The audited writes matching `filter`. */
export function writesOf(cluster: { auditLogPath: string }, filter: WriteFilter = {}): AuditEvent[] {
  const verbs = (filter.verbs ?? [...WRITE_VERBS]).filter((verb) => (WRITE_VERBS as readonly string[]).includes(verb));
  return readAudit(cluster, { ...filter, verbs }).filter((event) => !filter.succeededOnly || (event.responseStatus?.code ?? 0) < 300);
}

/** Who wrote in a namespace since a moment: username → number of writes (functions and controllers alike). */
export function writersIn(cluster: { auditLogPath: string }, namespace: string, since?: number): Map<string, number> {
  const writers = new Map<string, number>();
  for (const event of writesOf(cluster, { namespace, since, succeededOnly: true }))
    writers.set(event.user.username, (writers.get(event.user.username) ?? 0) + 1);
  return writers;
}

/** Every audited call (reads included, for the functions' identities) matching `filter`. */
export function callsOf(cluster: { auditLogPath: string }, filter: AuditFilter = {}): AuditEvent[] {
  return readAudit(cluster, filter);
}
