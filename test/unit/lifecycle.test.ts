import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';
import { postJson, sendRequest } from '../../testbed/net/http-client.ts';
import { runToExit, spawnFunction } from '../../testbed/functions/spawn-function.ts';

const root = new URL('../../', import.meta.url).pathname;
const slowEntry = join(root, 'testbed/functions/slow-function-entry.ts');
const deletePodEntry = join(root, 'functions/delete-pod/index.ts');
const scratch = mkdtempSync(join(tmpdir(), 'frf-lifecycle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const offline = { KUBECONFIG: join(scratch, 'no-kubeconfig'), LOG_LEVEL: 'info' };

describe('process lifecycle as OpenFaaS and Knative expect', () => {
  it('writes the lock file once listening; on SIGTERM finishes the alert in flight, removes the lock and exits 0', async () => {
    const lockFile = join(scratch, '.lock');
    const fn = await spawnFunction(slowEntry, { LOCK_FILE: lockFile, SLOW_MS: '800' });
    // Written right after the "listening" log line.
    for (let i = 0; i < 50 && !existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(lockFile)).toBe(true);
    const inFlight = postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')));
    await new Promise((r) => setTimeout(r, 200));
    const exit = fn.stop('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).reason).toBe('slow');
    expect(await exit).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
    await expect(sendRequest(fn.url, 'GET', '/healthz', {})).rejects.toThrow();
  });

  async function serveTwoAlerts(env: Record<string, string>) {
    const fn = await spawnFunction(deletePodEntry, { ...offline, ...env });
    try {
      const answer = await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ function: 'delete-pod', outcome: 'dry-run', reason: 'no-cluster' });
      // Not an alert it is configured for: answered and counted either way.
      const filtered = await postJson(fn.url, freshAlert({ ...falcoAlert('terminal-shell-tekton'), priority: 'Debug' }));
      expect(JSON.parse(filtered.body)).toMatchObject({ outcome: 'skipped', reason: 'priority-below-minimum' });
      expect(JSON.parse(filtered.body)).not.toHaveProperty('notSelected');
      const metrics = await sendRequest(fn.url, 'GET', '/metrics', {});
      expect(metrics.body).toMatch(/falco_response_alerts_total\{outcome="dry-run",reason="no-cluster",rule="Terminal shell in container"/);
      expect(metrics.body).toMatch(
        /falco_response_alerts_total\{outcome="skipped",reason="priority-below-minimum",rule="\(not-selected\)"[^}]*\} 1/,
      );
    } finally {
      expect(await fn.stop()).toBe(0);
    }
    return linesOf(fn.output(), '"msg":"decision:');
  }

  const linesOf = (output: string, marker: string) =>
    output
      .split('\n')
      .filter((line) => line.includes(marker))
      .map((line) => JSON.parse(line));

  it("serves a function from its entry point and logs one line per decision, with the alert's output when it acts or would", async () => {
    const decisions = await serveTwoAlerts({ UNSELECTED_LOG: 'each' });
    expect(decisions).toHaveLength(2);
    expect(decisions[0]).toMatchObject({
      level: 30,
      function: 'delete-pod',
      namespace: 'falcoresponse',
      pod: 'alpine',
      outcome: 'dry-run',
      rule: 'Terminal shell in container',
      output: expect.stringContaining('A shell was spawned in a container'),
    });
    expect(decisions[1]).toMatchObject({ level: 30, outcome: 'skipped', reason: 'priority-below-minimum' });
    expect(decisions[1]).not.toHaveProperty('output');
  });

  it('by default, alerts it is not configured for get no line each: the summary lines count them exactly, as the metric does', async () => {
    const fn = await spawnFunction(deletePodEntry, {
      ...offline,
      RULES: 'Terminal shell in container',
      UNSELECTED_LOG_INTERVAL_SECONDS: '1',
    });
    const sent = new Map<string, number>();
    const send = async (overrides: Record<string, unknown>, reason: string) => {
      const answer = await postJson(fn.url, freshAlert({ ...falcoAlert('terminal-shell-tekton'), ...overrides }));
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'skipped', reason });
      const key = `${String(overrides.rule ?? 'Terminal shell in container')} ${reason}`;
      sent.set(key, (sent.get(key) ?? 0) + 1);
    };
    let metrics: string;
    try {
      for (let i = 0; i < 40; i++) await send({ rule: 'Read sensitive file untrusted' }, 'rule-not-selected');
      for (let i = 0; i < 25; i++) await send({ priority: 'Debug' }, 'priority-below-minimum');
      // Across an interval boundary: some are in the timer's line, the rest in the one written on shutdown.
      await new Promise((r) => setTimeout(r, 1200));
      for (let i = 0; i < 15; i++) await send({ rule: 'Read sensitive file untrusted' }, 'rule-not-selected');
      metrics = (await sendRequest(fn.url, 'GET', '/metrics', {})).body;
    } finally {
      expect(await fn.stop()).toBe(0);
    }
    expect(linesOf(fn.output(), '"msg":"decision:')).toEqual([]);
    const summaries = linesOf(fn.output(), '"msg":"summary:');
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    const counted = new Map<string, number>();
    for (const line of summaries) {
      expect(line).toMatchObject({ level: 30, function: 'delete-pod', outcome: 'skipped' });
      const key = `${line.rule} ${line.reason}`;
      counted.set(key, (counted.get(key) ?? 0) + line.count);
    }
    expect(counted).toEqual(sent);
    expect(metrics).toMatch(/falco_response_alerts_total\{outcome="skipped",reason="rule-not-selected",rule="\(not-selected\)"[^}]*\} 55/);
    expect(metrics).toMatch(
      /falco_response_alerts_total\{outcome="skipped",reason="priority-below-minimum",rule="\(not-selected\)"[^}]*\} 25/,
    );
  });

  it('UNSELECTED_LOG_LEVEL=debug: alerts it is not configured for are answered and counted but not logged at info', async () => {
    const decisions = await serveTwoAlerts({ UNSELECTED_LOG: 'each', UNSELECTED_LOG_LEVEL: 'debug' });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
  });

  it('never logs the auth token', async () => {
    const token = 'never-log-me-0123456789abcdef';
    const fn = await spawnFunction(deletePodEntry, { ...offline, AUTH_TOKEN: token, LOG_LEVEL: 'trace' });
    try {
      await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')), { Authorization: `Bearer ${token}` });
      await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')), { Authorization: `Bearer wrong-${token}` });
    } finally {
      await fn.stop();
    }
    expect(fn.output()).not.toContain(token);
  });
});

describe('configuration is checked at start-up', () => {
  it('refuses to start on bad values, naming each variable', async () => {
    const result = await runToExit(deletePodEntry, { ...offline, MIN_PRIORITY: 'loud', MAX_IN_FLIGHT: '-1', DRY_RUN: 'perhaps' });
    expect(result.code).toBe(1);
    for (const name of ['MIN_PRIORITY', 'MAX_IN_FLIGHT', 'DRY_RUN']) expect(result.stderr).toContain(name);
  });

  it('refuses to run open when the token file is empty or unreadable, or AUTH_TOKEN is blank', async () => {
    const empty = join(scratch, 'empty-token');
    writeFileSync(empty, '\n');
    for (const env of [{ AUTH_TOKEN_FILE: empty }, { AUTH_TOKEN_FILE: join(scratch, 'missing') }, { AUTH_TOKEN: '   ' }] as Array<
      Record<string, string>
    >) {
      const result = await runToExit(deletePodEntry, { ...offline, ...env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/AUTH_TOKEN/);
    }
  });
});

describe('one-shot mode (Argo Workflows, Tekton)', () => {
  it('reads the alert from BODY, prints the decision and exits 0', async () => {
    const result = await runToExit(deletePodEntry, { ...offline, BODY: JSON.stringify(freshAlert(falcoAlert('terminal-shell-tekton'))) }, [
      '--once',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      function: 'delete-pod',
      outcome: 'dry-run',
      target: { namespace: 'falcoresponse', pod: 'alpine' },
    });
  });

  it('reads the alert from stdin, including a structured CloudEvent', async () => {
    const event = {
      specversion: '1.0',
      id: '1',
      source: 'https://falco.org',
      type: 'falco.rule.output.v1',
      datacontenttype: 'application/json',
      data: freshAlert(falcoAlert('terminal-shell-flux')),
    };
    const result = await runToExit(deletePodEntry, offline, ['--once'], JSON.stringify(event));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).target.pod).toBe('alpine-deployment-77789455d6-m7flp');
  });

  it('exits 2 with the field and reason for an unusable alert', async () => {
    const result = await runToExit(deletePodEntry, { ...offline, BODY: '{"rule":"x"}' }, ['--once']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'error', field: 'priority' });
  });
});
