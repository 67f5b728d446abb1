import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionMetrics, OTHER_RULES } from '../../shared/runtime/metrics.ts';
import { skipped } from '../../shared/respond/decision.ts';
import type { FalcoAlert } from '../../shared/alert/falco-alert.ts';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';
import { postJson, sendRequest } from '../../testbed/net/http-client.ts';
import { spawnFunction } from '../../testbed/functions/spawn-function.ts';

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

describe('requests refused before a decision', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const scratch = mkdtempSync(join(tmpdir(), 'frf-metrics-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('are counted by status in falco_response_rejected_requests_total, a wrong token as 401 (Falcosidekick logs those as sent)', async () => {
    const fn = await spawnFunction(join(root, 'functions/delete-pod/index.ts'), {
      KUBECONFIG: join(scratch, 'none'),
      AUTH_TOKEN: 'right-token',
      BODY_LIMIT_BYTES: '1024',
    });
    try {
      const count = async (status: string) => {
        const text = (await sendRequest(fn.url, 'GET', '/metrics', {})).body;
        return Number(
          new RegExp(`^falco_response_rejected_requests_total\\{status="${status}",function="delete-pod"\\} (\\d+)$`, 'm').exec(text)?.[1],
        );
      };
      expect(await count('401')).toBe(0);
      expect(
        (await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')), { Authorization: 'Bearer wrong-token' })).status,
      ).toBe(401);
      expect((await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')))).status).toBe(401);
      expect((await postJson(fn.url, { padding: 'x'.repeat(2048) }, { Authorization: 'Bearer right-token' })).status).toBe(413);
      expect(await count('401')).toBe(2);
      expect(await count('413')).toBe(1);
      // An accepted alert is a decision, not a refusal.
      expect(
        (await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')), { Authorization: 'Bearer right-token' })).status,
      ).toBe(200);
      expect(await count('401')).toBe(2);
    } finally {
      await fn.stop();
    }
  });
});
