// Every PromQL expression of the dashboard and the alert rules names only metrics and labels
// that a running function's /metrics really exposes: delete-pod runs in-process against the
// test API server and handles what makes each series appear (a dry-run on a real pod, a pod
// already gone, a refused token) before it is scraped. A renamed metric or label fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { alertRules } from '../../../packaging/observability/alerts.ts';
import { dashboard, dashboardExpressions } from '../../../packaging/observability/dashboard.ts';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { exposedSeries, promqlNames } from '../../../testbed/packaging/promql.ts';
import { adminApis } from '../../../testbed/workloads/admin-apis.ts';
import { createPod, shortContainerId } from '../../../testbed/workloads/pods.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { startFunctionUnderTest, type FunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { postJson, sendRequest } from '../../../testbed/net/http-client.ts';

const cluster = useCluster();
const NAMESPACE = 'promql-names';
const TOKEN = 'promql-names-token';
let fn: FunctionUnderTest;
let exposed: Map<string, Set<string>>;

beforeAll(async () => {
  const api = adminApis(cluster);
  await api.core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch((error: { code?: number }) => {
    if (error.code !== 409) throw error;
  });
  // Scheduled and run by kwok, so the container id is the runtime's, as Falco reports it.
  const id = shortContainerId(await createPod(api, NAMESPACE, 'shell'));
  fn = await startFunctionUnderTest(cluster, deletePodSpec, { DRY_RUN: 'true', AUTH_TOKEN: TOKEN });
  const auth = { Authorization: `Bearer ${TOKEN}` };
  expect(JSON.parse((await postJson(fn.url, alertFor(NAMESPACE, 'shell', id), auth)).body)).toMatchObject({ outcome: 'dry-run' });
  expect(JSON.parse((await postJson(fn.url, alertFor(NAMESPACE, 'gone', id), auth)).body)).toMatchObject({
    outcome: 'skipped',
    reason: 'already-gone',
  });
  expect((await postJson(fn.url, alertFor(NAMESPACE, 'shell', id), { Authorization: 'Bearer wrong' })).status).toBe(401);
  exposed = exposedSeries((await sendRequest(fn.url, 'GET', '/metrics', {})).body);
});
afterAll(() => fn?.close());

const expressions = [...dashboardExpressions(), ...alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))];

describe("PromQL of the dashboard and alert rules against a running function's /metrics", () => {
  it('the scrape has the series these expressions read', () => {
    expect(exposed.get('falco_response_kube_api_duration_seconds_count')).toEqual(new Set(['operation', 'outcome', 'function']));
    expect(exposed.get('falco_response_alerts_total')).toEqual(new Set(['outcome', 'reason', 'rule', 'function']));
  });

  it.each(expressions.map(({ where, expr }) => [where, expr] as const))('%s names only exposed metrics and labels', (_where, expr) => {
    const names = promqlNames(expr);
    expect(names.metrics.length).toBeGreaterThan(0);
    const missingMetrics = names.metrics.filter((metric) => !exposed.has(metric));
    expect(missingMetrics, `not exposed by /metrics: ${missingMetrics.join(', ')}`).toEqual([]);
    const labels = new Set(names.metrics.flatMap((metric) => [...exposed.get(metric)!]));
    expect(names.labels.filter((label) => !labels.has(label))).toEqual([]);
  });

  it("the dashboard's $function variable reads a series that exists before any alert", () => {
    const variable = dashboard().templating.list.find((v) => v.name === 'function')!;
    const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(variable.query)!;
    expect(exposed.get(metric!)).toContain(label);
  });

  it('the check catches a misspelt metric or label', () => {
    expect(exposed.has(promqlNames('rate(falco_response_alert_total[5m])').metrics[0]!)).toBe(false);
    const labels = exposed.get('falco_response_alerts_total')!;
    expect(promqlNames('sum by (outcom) (falco_response_alerts_total)').labels.filter((label) => !labels.has(label))).toEqual(['outcom']);
  });
});
