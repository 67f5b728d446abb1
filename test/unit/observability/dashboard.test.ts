// The Grafana dashboard checked against Grafana's published dashboard schema: @grafana/schema
// (Grafana's own package, generated from its CUE schema) ships it as the TypeScript type
// Dashboard; the committed JSON is compiled by tsc as `<json> satisfies Dashboard`, which
// refuses unknown fields, missing required ones and wrong types at any depth.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../../testbed/packaging/chart.ts';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';
import { run } from '../../../testbed/packaging/tools.ts';

const DASHBOARD = 'observability/grafana-dashboard.json';
const text = readFileSync(join(repoRoot, DASHBOARD), 'utf8');
const dashboard = JSON.parse(text);

function typecheck(json: string, name: string) {
  const dir = join(repoRoot, '.cache/dashboard-check');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `import type { Dashboard } from '@grafana/schema';\nexport const dashboard = (${json}) satisfies Dashboard;\n`);
  const tsc = join(repoRoot, 'node_modules/.bin/tsc');
  return run(tsc, [
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    '--target',
    'es2022',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--types',
    'node',
    file,
  ]);
}

describe('the Grafana dashboard', () => {
  it("is a Dashboard by @grafana/schema's published type", () => {
    const result = typecheck(text, 'shipped');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);

  it('the same check refuses a misspelt field and a wrong type (it is strict)', () => {
    const broken = structuredClone(dashboard);
    broken.panels[0].gridpos = broken.panels[0].gridPos;
    broken.schemaVersion = 'thirty-nine';
    const result = typecheck(JSON.stringify(broken), 'broken');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('\'"gridpos"\' does not exist');
    expect(result.stdout).toContain("Type 'string' is not assignable to type 'number'");
  }, 60_000);

  it('has the panels operators need: alerts by outcome and reason, actions, latencies, API errors, blast radius, 401s, in-flight', () => {
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title);
    for (const wanted of [
      /outcome and reason/,
      /^Actions$/,
      /Decision latency p50 \/ p99/,
      /Kubernetes API latency/,
      /Kubernetes API errors/,
      /Blast-radius/,
      /401/,
      /In-flight/,
    ]) {
      expect(
        titles.some((title: string) => wanted.test(title)),
        String(wanted),
      ).toBe(true);
    }
    // Every query is per function.
    for (const panel of dashboard.panels) for (const target of panel.targets) expect(target.expr).toContain('function=~"$function"');
  });

  it('the chart ships the same JSON in a ConfigMap labelled grafana_dashboard', () => {
    const configMap = renderChart('knative').find(
      (doc) => doc.kind === 'ConfigMap' && doc.metadata.name === 'falco-response-functions-dashboard',
    )!;
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(configMap.data['falco-response-functions.json'])).toEqual(dashboard);
  });
});
