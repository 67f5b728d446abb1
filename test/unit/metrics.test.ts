import { describe, expect, it } from 'vitest';
import { FunctionMetrics, OTHER_RULES } from '../../shared/runtime/metrics.ts';
import { skipped } from '../../shared/runtime/decision.ts';
import type { FalcoAlert } from '../../shared/alert/falco-alert.ts';

describe('metrics', () => {
  it('keeps the rule label bounded: rule names beyond the cap, which any caller can invent, are counted as "(other)"', async () => {
    const metrics = new FunctionMetrics('delete-pod', 3);
    const decision = skipped('rule-not-selected', 'not selected');
    for (let i = 0; i < 1000; i++) metrics.recordDecision(decision, { rule: `invented rule ${i}` } as FalcoAlert, 0.1);
    metrics.recordDecision(decision, { rule: 'invented rule 1' } as FalcoAlert, 0.1);
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('falco_response_alerts_total{'));
    expect(series).toHaveLength(4);
    expect(series.find((line) => line.includes('rule="invented rule 1"'))).toMatch(/ 2$/);
    expect(series.find((line) => line.includes(`rule="${OTHER_RULES}"`))).toMatch(/ 997$/);
  });
});
