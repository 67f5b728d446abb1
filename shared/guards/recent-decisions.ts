// Falco fires many alerts per incident. Alerts for a target already handled are answered
// from memory (bounded size, expiring), and concurrent alerts for the same target share
// one piece of work, so a burst makes one set of API calls, not one per alert. Across
// replicas the API server's own preconditions keep writes single.
import type { Decision } from '../runtime/decision.ts';

export class RecentDecisions {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly done = new Map<string, { decision: Decision; at: number }>();
  private readonly running = new Map<string, Promise<Decision>>();

  constructor(windowSeconds: number, maxEntries: number) {
    this.windowMs = windowSeconds * 1000;
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.done.size;
  }

  recall(key: string, now: number = Date.now()): { decision: Decision; at: number } | undefined {
    const entry = this.done.get(key);
    if (!entry) return undefined;
    if (now - entry.at >= this.windowMs) {
      this.done.delete(key);
      return undefined;
    }
    return entry;
  }

  remember(key: string, decision: Decision, now: number = Date.now()): void {
    if (this.windowMs === 0) return;
    this.done.delete(key);
    this.done.set(key, { decision, at: now });
    // Map keeps insertion order: the first entries are the oldest.
    while (this.done.size > this.maxEntries) this.done.delete(this.done.keys().next().value!);
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

/** Outcomes worth remembering: a repeat alert would find the same state. Errors and limit-forced dry-runs are not. */
export function isSettled(decision: Decision): boolean {
  return decision.outcome === 'acted' || decision.reason.startsWith('already-') || (decision.outcome === 'dry-run' && decision.reason !== 'blast-radius-limit');
}
