// The alert rules checked by the real promtool (Debian's prometheus package, 2.42): syntax
// (`check rules`) of the plain file and of the chart's PrometheusRule, and behaviour
// (`test rules`, observability/prometheus-rules.test.yaml) with a firing and a quiet case per
// alert. Each alert's tests must fail when that alert's expression is broken: they pin it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { alertRules } from '../../../packaging/observability/alerts.ts';
import { renderChart } from '../../../testbed/packaging/chart.ts';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';
import { debianToolPath, run } from '../../../testbed/packaging/tools.ts';

const promtool = debianToolPath('promtool');
const scratch = mkdtempSync(join(tmpdir(), 'frf-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const RULES = join(repoRoot, 'observability/prometheus-rules.yaml');
const TESTS = join(repoRoot, 'observability/prometheus-rules.test.yaml');

describe('promtool check rules', () => {
  it('accepts observability/prometheus-rules.yaml', () => {
    const result = run(promtool, ['check', 'rules', RULES]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(result.status).toBe(0);
  });

  it("accepts the chart's PrometheusRule, with the configured silence time in FalcoResponseNoAlerts", () => {
    const rule = renderChart('knative').find((doc) => doc.kind === 'PrometheusRule')!;
    expect(rule.spec.groups[0].rules.find((r: { alert: string }) => r.alert === 'FalcoResponseNoAlerts').for).toBe('12h');
    const file = join(scratch, 'chart-rules.yaml');
    writeFileSync(file, stringify(rule.spec));
    const result = run(promtool, ['check', 'rules', file]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('refuses a rule with a PromQL syntax error (the check is real)', () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'sum by (function (x)' }] }] }));
    const result = run(promtool, ['check', 'rules', file]);
    expect(result.status).not.toBe(0);
  });
});

describe('promtool test rules', () => {
  const tests = parse(readFileSync(TESTS, 'utf8')) as {
    tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
  };
  const cases = tests.tests.flatMap((test) => test.alert_rule_test);

  it('passes observability/prometheus-rules.test.yaml', () => {
    const result = run(promtool, ['test', 'rules', TESTS]);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it.each(alertRules().map((rule) => rule.alert))('%s has a case where it fires and one where it stays quiet', (alert) => {
    const mine = cases.filter((c) => c.alertname === alert);
    expect(mine.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(mine.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });

  it.each(alertRules().map((rule) => rule.alert))('the tests fail when %s never fires', (alert) => {
    const dir = mkdtempSync(join(scratch, 'mutant-'));
    const rules = parse(readFileSync(RULES, 'utf8'));
    for (const rule of rules.groups[0].rules) if (rule.alert === alert) rule.expr = 'vector(1) > 2';
    writeFileSync(join(dir, 'prometheus-rules.yaml'), stringify(rules));
    copyFileSync(TESTS, join(dir, 'prometheus-rules.test.yaml'));
    const result = run(promtool, ['test', 'rules', 'prometheus-rules.test.yaml'], { cwd: dir });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`alertname: ${alert}`);
  });
});
