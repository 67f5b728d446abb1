import { describe, expect, it, vi } from 'vitest';
import {
  OTHER_UNSELECTED_RULES,
  summaryEvery,
  UnselectedSummary,
  type UnselectedSummaryLine,
} from '../../shared/runtime/unselected-summary.ts';

function collecting() {
  const lines: UnselectedSummaryLine[] = [];
  return { lines, write: (line: UnselectedSummaryLine) => lines.push(line) };
}

describe('alerts not selected are logged as one line per rule and reason per interval', () => {
  it('counts each alert once, per rule and reason, with the interval and the first and last arrival', () => {
    const { lines, write } = collecting();
    const summary = new UnselectedSummary(write, 1_000);
    summary.add('Read sensitive file untrusted', 'rule-not-selected', 2_000);
    summary.add('Read sensitive file untrusted', 'rule-not-selected', 3_000);
    summary.add('Terminal shell in container', 'priority-below-minimum', 4_000);
    expect(summary.pending).toBe(3);
    summary.flush(5_000);
    expect(lines).toEqual([
      {
        outcome: 'skipped',
        rule: 'Read sensitive file untrusted',
        reason: 'rule-not-selected',
        count: 2,
        first: new Date(2_000).toISOString(),
        last: new Date(3_000).toISOString(),
        since: new Date(1_000).toISOString(),
        until: new Date(5_000).toISOString(),
      },
      expect.objectContaining({ rule: 'Terminal shell in container', reason: 'priority-below-minimum', count: 1 }),
    ]);
    expect(summary.pending).toBe(0);
  });

  it('writes nothing for an interval without such alerts, and the next interval starts where the last ended', () => {
    const { lines, write } = collecting();
    const summary = new UnselectedSummary(write, 0);
    summary.flush(10);
    expect(lines).toEqual([]);
    summary.add('r', 'rule-not-selected', 15);
    summary.flush(20);
    expect(lines[0]).toMatchObject({ since: new Date(10).toISOString(), until: new Date(20).toISOString(), count: 1 });
  });

  it('keeps a bounded number of rules apart per interval: the rest are counted, exactly, under one name', () => {
    const { lines, write } = collecting();
    const summary = new UnselectedSummary(write, 0, 3);
    for (let i = 0; i < 10; i++) summary.add(`rule ${i}`, 'rule-not-selected', 1);
    summary.add('rule 0', 'rule-not-selected', 1); // a rule already kept stays its own line
    summary.flush(2);
    expect(lines.map((l) => [l.rule, l.count])).toEqual([
      ['rule 0', 2],
      ['rule 1', 1],
      ['rule 2', 1],
      [OTHER_UNSELECTED_RULES, 7],
    ]);
    expect(lines.reduce((sum, l) => sum + l.count, 0)).toBe(11);
  });

  it('is written every interval by a timer that does not hold the process, and once more when stopped', () => {
    vi.useFakeTimers();
    try {
      const { lines, write } = collecting();
      const summary = new UnselectedSummary(write);
      const flushing = summaryEvery(summary, 1_000);
      summary.add('r', 'rule-not-selected');
      vi.advanceTimersByTime(1_000);
      expect(lines).toHaveLength(1);
      summary.add('r', 'rule-not-selected');
      flushing.stop();
      expect(lines).toHaveLength(2);
      vi.advanceTimersByTime(5_000);
      expect(lines).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
