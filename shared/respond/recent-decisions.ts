// Falco fires many alerts per incident. Alerts for a target already handled are answered
// from memory (bounded size, expiring), and concurrent alerts for the same target share
// one piece of work, so a burst makes one set of API calls, not one per alert. Across
// replicas the API server's own preconditions keep writes single.
import type { Decision } from './decision.ts';

/** What is kept of a decision: its outcome and reason (fixed vocabularies), never alert text. */
export interface RememberedDecision {
  decision: Pick<Decision, 'outcome' | 'reason'>;
  at: number;
}

// What one entry costs beyond its key's characters (Map slot, record, numbers), measured
// with heap snapshots on Node 24; the byte bound is an estimate made from it.
const ENTRY_OVERHEAD_BYTES = 160;

export class RecentDecisions {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  private readonly done = new Map<string, RememberedDecision>();
  private readonly running = new Map<string, Promise<Decision>>();

  /** Keys come from alerts: both the count and the (estimated) bytes are bounded, oldest out first. */
  constructor(windowSeconds: number, maxEntries: number, maxBytes = Number.POSITIVE_INFINITY) {
    this.windowMs = windowSeconds * 1000;
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.done.size;
  }

  /** Estimated bytes held by the remembered entries. */
  get byteSize(): number {
    return this.bytes;
  }

  recall(key: string, now: number = Date.now()): RememberedDecision | undefined {
    const entry = this.done.get(key);
    if (!entry) return undefined;
    if (now - entry.at >= this.windowMs) {
      this.forget(key);
      return undefined;
    }
    return entry;
  }

  remember(key: string, decision: Decision, now: number = Date.now()): void {
    if (this.windowMs === 0) return;
    this.forget(key);
    this.done.set(key, { decision: { outcome: decision.outcome, reason: decision.reason }, at: now });
    this.bytes += entryBytes(key);
    // Map keeps insertion order: the first entries are the oldest.
    while (this.done.size > this.maxEntries || (this.bytes > this.maxBytes && this.done.size > 0))
      this.forget(this.done.keys().next().value!);
  }

  private forget(key: string): void {
    if (this.done.delete(key)) this.bytes -= entryBytes(key);
  }

  /** Runs `work` once per key at a time; callers arriving meanwhile get the same result. */
  async once(key: string, work: () => Promise<Decision>): Promise<{ decision: Decision; shared: boolean }> {
    const pending = this.running.get(key);
    if (pending) return { decision: await pending, shared: true };
    const promise = work().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return { decision: await promise, shared: false };
  }
}

function entryBytes(key: string): number {
  return ENTRY_OVERHEAD_BYTES + key.length * 2;
}

// Dry-runs forced by a limit or by the budget: once it frees (or is applied again) the repeat must act.
const FORCED_DRY_RUNS = new Set(['blast-radius-limit', 'budget-exhausted', 'budget-unavailable']);

/** Outcomes worth remembering: a repeat alert would find the same state. Errors and limit-forced dry-runs are not. */
export function isSettled(decision: Decision): boolean {
  return (
    decision.outcome === 'acted' ||
    decision.reason.startsWith('already-') ||
    (decision.outcome === 'dry-run' && !FORCED_DRY_RUNS.has(decision.reason))
  );
}
