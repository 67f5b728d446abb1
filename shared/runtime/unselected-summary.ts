// Alerts a function is not configured for (RULES, MIN_PRIORITY, REQUIRED_TAGS, SOURCES), logged as
// one line per rule and reason per interval instead of one line per alert. Falcosidekick's
// outputs do not filter by rule, so a Falco that forwards everything sends every function every
// alert: one line each would make the log a copy of Falco's, and writing it cost more than
// answering the alert. The counts are exact: every alert counted is in exactly one summary line
// (the last written on close), and the metric falco_response_alerts_total counts them too.

/** Distinct rules kept apart per interval; later ones are counted under OTHER_RULES (a request names its rule). */
const MAX_RULES_PER_INTERVAL = 200;
export const OTHER_UNSELECTED_RULES = '(other rules)';

export interface UnselectedSummaryLine {
  outcome: 'skipped';
  rule: string;
  reason: string;
  /** Alerts with this rule and reason since `since`. */
  count: number;
  /** When the first of them arrived, and the last (ISO 8601). */
  first: string;
  last: string;
  /** The interval the line covers: from the previous summary (or the start) to now. */
  since: string;
  until: string;
}

interface Tally {
  rule: string;
  reason: string;
  count: number;
  first: number;
  last: number;
}

export class UnselectedSummary {
  private tallies = new Map<string, Tally>();
  private since: number;
  private readonly write: (line: UnselectedSummaryLine) => void;
  private readonly maxRules: number;
  private readonly rules = new Set<string>();

  constructor(write: (line: UnselectedSummaryLine) => void, now = Date.now(), maxRules = MAX_RULES_PER_INTERVAL) {
    this.write = write;
    this.since = now;
    this.maxRules = maxRules;
  }

  add(rule: string, reason: string, now = Date.now()): void {
    const kept = this.rules.has(rule) || this.rules.size < this.maxRules ? rule : OTHER_UNSELECTED_RULES;
    if (kept === rule) this.rules.add(rule);
    // Our reasons never contain NUL, so no two (rule, reason) pairs share a key.
    const key = `${kept}\u0000${reason}`;
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count++;
      tally.last = now;
    } else this.tallies.set(key, { rule: kept, reason, count: 1, first: now, last: now });
  }

  /** Alerts counted and not yet written. */
  get pending(): number {
    let sum = 0;
    for (const tally of this.tallies.values()) sum += tally.count;
    return sum;
  }

  /** Writes one line per rule and reason counted since the last flush, then starts a new interval. */
  flush(now = Date.now()): void {
    const since = new Date(this.since).toISOString();
    const until = new Date(now).toISOString();
    const tallies = this.tallies;
    this.tallies = new Map();
    this.rules.clear();
    this.since = now;
    for (const { rule, reason, count, first, last } of tallies.values()) {
      this.write({
        outcome: 'skipped',
        rule,
        reason,
        count,
        first: new Date(first).toISOString(),
        last: new Date(last).toISOString(),
        since,
        until,
      });
    }
  }
}

/** Flushes `summary` every `intervalMs` without keeping the process alive; `stop()` flushes what is left. */
export function summaryEvery(summary: UnselectedSummary, intervalMs: number): { stop(): void } {
  const timer = setInterval(() => summary.flush(), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      summary.flush();
    },
  };
}
