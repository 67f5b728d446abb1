// A small run of the scale bench's code (10 nodes, 100 pods; `make bench-scale` runs it at up to
// 1,000 nodes and 10,000 pods), so that it cannot rot: every step reached, every sample acted,
// the same API calls per action at each size, the quarantine written before the hole check,
// every storm answer 2xx/429/503. Speed figures belong to the bench, not here.
import { describe, expect, it } from 'vitest';
import { runScale } from '../../../testbed/scale/scale-run.ts';

describe('the scale run, small', () => {
  it('grows a reacting cluster to 10 nodes and 100 pods and measures actions, isolation among NetworkPolicies, a storm, and a storm under the cluster-wide budget', async () => {
    const report = await runScale({
      steps: [
        { nodes: 5, namespaces: 2, podsPerNamespace: 25 },
        { nodes: 10, namespaces: 4, podsPerNamespace: 25 },
      ],
      samples: 20,
      policies: 50,
      stormPods: 60,
      deadline: Date.now() + 150_000,
    });
    expect(report.stopped).toBeUndefined();
    expect(report.problems).toEqual([]);
    expect(report.sizes.map((s) => [s.nodes, s.podsRunning])).toEqual([
      [5, 50],
      [10, 100],
    ]);
    for (const size of report.sizes) {
      expect(size.samples).toHaveLength(20);
      expect(size.samples.every((s) => s.status === 200 && s.outcome === 'acted')).toBe(true);
      expect(size.p99Ms).toBeGreaterThanOrEqual(size.p50Ms);
    }
    // One delete costs the same calls whatever the cluster's size.
    expect(report.sizes[0]!.callsPerAction).toHaveLength(1);
    expect(report.sizes[1]!.callsPerAction).toEqual(report.sizes[0]!.callsPerAction);
    expect(report.sizes[0]!.callsPerAction[0]).toMatch(/delete pods/);
    for (const isolation of report.isolation) {
      // The policy and the label are in place before the answer, and before the hole check's list ends.
      expect(isolation.quarantinedMs).toBeLessThanOrEqual(isolation.answeredMs);
      expect(isolation.calls.indexOf('list networkpolicies')).toBeGreaterThan(isolation.calls.indexOf('patch pods'));
      expect(isolation.calls.indexOf('patch pods')).toBeGreaterThan(isolation.calls.indexOf('create networkpolicies'));
    }
    expect(report.isolation.map((i) => i.policies)).toEqual([0, 50]);
    expect(report.storm).toMatchObject({ alerts: 60, allAcceptable: true });
    expect(report.storm!.acted).toBeGreaterThan(0);
    expect(report.storm!.apiLatency.calls).toBeGreaterThan(0);
    // With the cluster-wide budget on: exactly the budget's actions, the API server ready throughout.
    expect(report.budgetStorm!.alerts).toBeGreaterThan(50);
    expect(report.budgetStorm).toMatchObject({ budget: 50, acted: 50, allAcceptable: true, readyzFailures: 0 });
    expect(report.budgetStorm!.readyzProbes).toBeGreaterThan(0);
  }, 240_000);
});
