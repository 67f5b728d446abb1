// What the scale run measures against a populated reacting cluster, with the functions running
// as their images run them: alert → action latency and the API calls each action costs (from
// the audit log, which records the functions' reads as well as their writes), isolate-pod
// among many NetworkPolicies, and a storm of alerts for distinct pods.
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { alertFor } from '../alerts/alerts.ts';
import { callsOf, type AuditEvent } from '../cluster/audit.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import type { FunctionProcess } from '../functions/function-process.ts';
import { postJson } from '../net/http-client.ts';
import { httpRequest } from '../net/http.ts';
import { burst, onlyAcceptableAnswers, tally } from '../senders/burst.ts';
import { shortContainerId } from '../workloads/pods.ts';

export interface ActionSample {
  ms: number;
  status: number;
  outcome: string;
  /** Audited API calls by the function while it handled this alert, e.g. "get pods". */
  calls: string[];
}

const timeOf = (event: AuditEvent, field: 'requestReceivedTimestamp' | 'stageTimestamp') =>
  Date.parse(event[field].replace(/(\.\d{3})\d+/, '$1'));
const callName = (event: AuditEvent) =>
  `${event.verb} ${event.objectRef?.resource ?? '?'}${event.objectRef?.subresource ? `/${event.objectRef.subresource}` : ''}`;

export function pickRandom<T>(items: T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) picked.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!);
  return picked;
}

/** One alert at a time for `pods` (picked at random by the caller); each answer timed, its API calls read from the audit log afterwards. */
export async function measureActions(cluster: ClusterCoords, fn: FunctionProcess, pods: V1Pod[]): Promise<ActionSample[]> {
  const windows: Array<{ from: number; to: number; ms: number; status: number; outcome: string }> = [];
  for (const pod of pods) {
    const alert = alertFor(pod.metadata!.namespace!, pod.metadata!.name!, shortContainerId(pod));
    const from = Date.now();
    const started = performance.now();
    const answer = await postJson(fn.url, alert);
    const ms = performance.now() - started;
    windows.push({ from, to: Date.now(), ms, status: answer.status, outcome: JSON.parse(answer.body).outcome });
  }
  const events = callsOf(cluster, { user: fn.identity, since: windows[0]?.from ?? Date.now() });
  return windows.map((w) => ({
    ms: w.ms,
    status: w.status,
    outcome: w.outcome,
    // Audit timestamps have microseconds, Date.now() milliseconds: 1 ms of slack at each end.
    calls: events
      .filter((e) => timeOf(e, 'requestReceivedTimestamp') >= w.from - 1 && timeOf(e, 'stageTimestamp') <= w.to + 1)
      .map(callName)
      .sort(),
  }));
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface IsolationTimeline {
  policies: number;
  /** Answer time of the alert. */
  answeredMs: number;
  /** From the alert to the quarantine in place (policy created and pod labelled, both completed in the API server). */
  quarantinedMs: number;
  /** The hole check's list of NetworkPolicies, as the API server timed it. */
  listMs: number;
  /** After the quarantine was in place, until the answer: what the hole check costs the caller. */
  checkCostMs: number;
  /** Order of the function's calls, e.g. ["get pods", "get networkpolicies", "create networkpolicies", ...]. */
  calls: string[];
}

export async function isolationTimeline(
  cluster: ClusterCoords,
  fn: FunctionProcess,
  pod: V1Pod,
  policies: number,
): Promise<IsolationTimeline> {
  const alert = alertFor(pod.metadata!.namespace!, pod.metadata!.name!, shortContainerId(pod));
  const from = Date.now();
  const answer = await postJson(fn.url, alert);
  const to = Date.now();
  const decision = JSON.parse(answer.body);
  if (decision.outcome !== 'acted') throw new Error(`isolate-pod did not act: ${answer.body}`);
  const events = callsOf(cluster, { user: fn.identity, since: from - 1 }).filter((e) => timeOf(e, 'stageTimestamp') <= to + 1);
  const done = (name: string) => events.find((e) => callName(e) === name);
  const created = done('create networkpolicies');
  const labelled = done('patch pods');
  const list = done('list networkpolicies');
  if (!created || !labelled || !list) throw new Error(`missing calls in the audit log: ${events.map(callName).join(', ')}`);
  const quarantinedAt = Math.max(timeOf(created, 'stageTimestamp'), timeOf(labelled, 'stageTimestamp'));
  return {
    policies,
    answeredMs: to - from,
    quarantinedMs: quarantinedAt - from,
    listMs: timeOf(list, 'stageTimestamp') - timeOf(list, 'requestReceivedTimestamp'),
    checkCostMs: to - quarantinedAt,
    calls: events.map(callName),
  };
}

export interface StormResult {
  alerts: number;
  seconds: number;
  acted: number;
  actionsPerSecond: number;
  statuses: Record<number, number>;
  allAcceptable: boolean;
  peakRssMiB: number;
  /** The Kubernetes API latency the function measured (its falco_response_kube_api_duration_seconds histogram). */
  apiLatency: { calls: number; meanMs: number; p50Ms: number; p99Ms: number };
}

function rssMiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Histogram {
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

async function kubeApiHistogram(url: string): Promise<Histogram> {
  const text = (await httpRequest(`${url}/metrics`)).body;
  const totals = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('falco_response_kube_api_duration_seconds')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith('falco_response_kube_api_duration_seconds_bucket') && le)
      totals.set(le === '+Inf' ? Infinity : Number(le), (totals.get(le === '+Inf' ? Infinity : Number(le)) ?? 0) + value);
    else if (line.startsWith('falco_response_kube_api_duration_seconds_sum')) sum += value;
    else if (line.startsWith('falco_response_kube_api_duration_seconds_count')) count += value;
  }
  return { buckets: [...totals].sort((a, b) => a[0] - b[0]), sum, count };
}

/** The bucket bound at or above the p-th percentile, from cumulative bucket counts (the histogram's resolution). */
function bucketPercentile(h: Histogram, p: number): number {
  const rank = (p / 100) * h.count;
  return (h.buckets.find(([, cumulative]) => cumulative >= rank)?.[0] ?? Number.NaN) * 1000;
}

function histogramSince(after: Histogram, before: Histogram): Histogram {
  const earlier = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)] as [number, number]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** One alert for each of `pods` at once (100 sockets), as a storm from Falcosidekick would come. */
export async function storm(fn: FunctionProcess, pods: V1Pod[]): Promise<StormResult> {
  const bodies = pods.map((pod) => JSON.stringify(alertFor(pod.metadata!.namespace!, pod.metadata!.name!, shortContainerId(pod))));
  const before = await kubeApiHistogram(fn.url);
  let peak = rssMiB(fn.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(fn.pid))), 50);
  const started = performance.now();
  let answers: Awaited<ReturnType<typeof burst>>;
  try {
    answers = await burst(fn.url, bodies, 100);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const h = histogramSince(await kubeApiHistogram(fn.url), before);
  const acted = answers.filter((a) => a.status === 200 && JSON.parse(a.body).outcome === 'acted').length;
  return {
    alerts: bodies.length,
    seconds,
    acted,
    actionsPerSecond: acted / seconds,
    statuses: tally(answers),
    allAcceptable: onlyAcceptableAnswers(answers),
    peakRssMiB: Math.max(peak, rssMiB(fn.pid)),
    apiLatency: {
      calls: h.count,
      meanMs: h.count > 0 ? (h.sum / h.count) * 1000 : Number.NaN,
      p50Ms: bucketPercentile(h, 50),
      p99Ms: bucketPercentile(h, 99),
    },
  };
}
