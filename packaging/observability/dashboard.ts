// The Grafana dashboard (observability/grafana-dashboard.json and the chart's ConfigMap), one
// row of panels per concern, every query filtered by the $function variable. Validated
// against @grafana/schema's Dashboard type by test/unit/observability/dashboard.test.ts.

interface Target {
  expr: string;
  legendFormat: string;
}
interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  type?: 'timeseries' | 'stat';
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's dashboard variable syntax, not a template literal
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const F = 'function=~"$function"';

const PANELS: PanelSpec[] = [
  {
    title: 'Alerts by outcome and reason',
    description:
      'Every alert a function answered, by what it decided (acted, skipped, dry-run, error) and why. Alerts it is not configured for count as skipped with their reason.',
    unit: 'reqps',
    targets: [
      {
        expr: `sum by (function, outcome, reason) (rate(falco_response_alerts_total{${F}}[$__rate_interval]))`,
        legendFormat: '{{function}} {{outcome}} {{reason}}',
      },
    ],
  },
  {
    title: 'Actions',
    description:
      'Actions attempted, by result: acted (the pod was deleted, isolated or scaled), dry-run (DRY_RUN or the blast-radius limit), error.',
    unit: 'ops',
    targets: [
      {
        expr: `sum by (function, result) (rate(falco_response_actions_total{${F}}[$__rate_interval]))`,
        legendFormat: '{{function}} {{result}}',
      },
    ],
  },
  {
    title: 'Decision latency p50 / p99',
    description: 'From alert parsed to decision made, Kubernetes API calls included.',
    unit: 's',
    targets: [
      {
        expr: `histogram_quantile(0.5, sum by (function, le) (rate(falco_response_decision_duration_seconds_bucket{${F}}[$__rate_interval])))`,
        legendFormat: '{{function}} p50',
      },
      {
        expr: `histogram_quantile(0.99, sum by (function, le) (rate(falco_response_decision_duration_seconds_bucket{${F}}[$__rate_interval])))`,
        legendFormat: '{{function}} p99',
      },
    ],
  },
  {
    title: 'Kubernetes API latency p99 by operation',
    description: 'Each Kubernetes API call the functions make, by operation (getPod, deletePod, patchPod, ...).',
    unit: 's',
    targets: [
      {
        expr: `histogram_quantile(0.99, sum by (operation, le) (rate(falco_response_kube_api_duration_seconds_bucket{${F}}[$__rate_interval])))`,
        legendFormat: '{{operation}}',
      },
    ],
  },
  {
    title: 'Kubernetes API errors by operation',
    description:
      'Calls that failed, by operation and kind: forbidden (RBAC), unavailable (5xx, 429, timeouts), conflict, invalid, not-found (a pod already gone is normal).',
    unit: 'ops',
    targets: [
      {
        expr: `sum by (operation, outcome) (rate(falco_response_kube_api_duration_seconds_count{${F},outcome!="ok"}[$__rate_interval]))`,
        legendFormat: '{{operation}} {{outcome}}',
      },
    ],
  },
  {
    title: 'Blast-radius limit hits',
    description: 'Actions turned into dry-runs because MAX_ACTIONS per ACTIONS_WINDOW_SECONDS was reached, in the selected time range.',
    unit: 'short',
    type: 'stat',
    targets: [
      {
        expr: `sum by (function) (increase(falco_response_blast_radius_limit_reached_total{${F}}[$__range]))`,
        legendFormat: '{{function}}',
      },
    ],
  },
  {
    title: 'Refused requests (401: missing or wrong token)',
    description:
      'Alert requests refused before any decision, by status. Falcosidekick\'s CloudEvents output logs a 401 as "Send OK": this panel is where a wrong or rotated token shows.',
    unit: 'reqps',
    targets: [
      {
        expr: `sum by (function) (rate(falco_response_rejected_requests_total{${F},status="401"}[$__rate_interval]))`,
        legendFormat: '{{function}} 401',
      },
      {
        expr: `sum by (function, status) (rate(falco_response_rejected_requests_total{${F},status!="401"}[$__rate_interval]))`,
        legendFormat: '{{function}} {{status}}',
      },
    ],
  },
  {
    title: 'In-flight alerts',
    description: 'Alerts being handled now; MAX_IN_FLIGHT caps it (beyond it 429).',
    unit: 'short',
    targets: [{ expr: `sum by (function) (falco_response_in_flight_alerts{${F}})`, legendFormat: '{{function}}' }],
  },
  {
    title: 'Kubernetes Event write failures',
    description: 'Events recording an action that could not be written: the evidence is then only in the log.',
    unit: 'short',
    targets: [
      { expr: `sum by (function) (increase(falco_response_event_failures_total{${F}}[$__rate_interval]))`, legendFormat: '{{function}}' },
    ],
  },
];

function panel(spec: PanelSpec, index: number) {
  return {
    id: index + 1,
    type: spec.type ?? 'timeseries',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    options: {},
    targets: spec.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: target.expr,
      legendFormat: target.legendFormat,
    })),
  };
}

export function dashboard() {
  return {
    uid: 'falco-response-functions',
    title: 'Falco response functions',
    description: 'delete-pod, isolate-pod and scale-to-zero: what they received, decided and did, and what failed.',
    tags: ['falco', 'security'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource' as const, query: 'prometheus' },
        {
          name: 'function',
          label: 'Function',
          type: 'query' as const,
          datasource: DATASOURCE,
          // The in-flight gauge exists from a function's start, before any alert.
          query: 'label_values(falco_response_in_flight_alerts, function)',
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: '.+',
        },
      ],
    },
    annotations: { list: [] },
    panels: PANELS.map(panel),
  };
}

/** Every PromQL expression of the dashboard, with its panel's title. */
export function dashboardExpressions(): Array<{ where: string; expr: string }> {
  return PANELS.flatMap((spec) => spec.targets.map((target) => ({ where: `dashboard: ${spec.title}`, expr: target.expr })));
}
