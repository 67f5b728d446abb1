// The Prometheus alerting rules for the functions, as data: written as a plain rule file
// (observability/prometheus-rules.yaml, what promtool checks and tests), as a PrometheusRule
// (observability/prometheusrule.yaml) and as the chart's template, whose FalcoResponseNoAlerts
// hold time comes from values (observability.prometheusRule.noAlertsFor).
// Unit tests per alert: observability/prometheus-rules.test.yaml (promtool test rules).

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook?: string };
}

export const DEFAULT_NO_ALERTS_FOR = '24h';
/** How far back each "did it happen" alert looks. */
const WINDOW = '10m';

/**
 * Fires when the counter grew within the window, by `by`. A labelled series only exists once
 * it was first incremented, and increase() cannot see that first step (there is no earlier
 * sample), so a series that exists now but did not a window ago counts as growth too. (For
 * one window after Prometheus itself starts, with no older data, every such series looks new.)
 */
function grew(series: string, by: string): string {
  return `sum by (${by}) (increase(${series}[${WINDOW}])) > 0\nor\nsum by (${by}) (${series} unless ${series} offset ${WINDOW}) > 0`;
}

export function alertRules(noAlertsFor: string = DEFAULT_NO_ALERTS_FOR): AlertRule[] {
  return [
    {
      alert: 'FalcoResponseBlastRadiusLimitReached',
      expr: `sum by (function) (increase(falco_response_blast_radius_limit_reached_total[${WINDOW}])) > 0`,
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }} reached its blast-radius limit: further actions are dry-runs',
        description:
          "{{ $labels.function }} turned actions into dry-runs because MAX_ACTIONS per ACTIONS_WINDOW_SECONDS was reached ({{ $value }} times in the last 10 minutes). Either an attack is hitting many pods at once or someone is sending forged alerts. Pods that should have been acted on were not: read the function's BlastRadiusLimit Warning Events (kubectl get events -A --field-selector reason=BlastRadiusLimit) and its error log lines.",
      },
    },
    {
      alert: 'FalcoResponseRbacForbidden',
      expr: grew('falco_response_kube_api_duration_seconds_count{outcome="forbidden"}', 'function, operation'),
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }} is forbidden to {{ $labels.operation }}',
        description:
          "The Kubernetes API refused {{ $labels.function }}'s {{ $labels.operation }} call with 403: its ServiceAccount lacks a permission, so alerts it should act on fail with 500 and nothing is changed. Re-apply the chart or the RBAC manifests generated for this version (knative/10-rbac.yaml, openfaas/rbac-*.yaml); on OpenFaaS CE check that the functions run in openfaas-fn.",
      },
    },
    {
      alert: 'FalcoResponseApiUnavailable',
      expr: grew('falco_response_alerts_total{outcome="error",reason="api-unavailable"}', 'function'),
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }} could not reach the Kubernetes API for an alert',
        description:
          '{{ $labels.function }} gave up on alerts after KUBE_RETRIES attempts because the Kubernetes API was unreachable, slow or failing (it answered 503). A Knative Broker retries those; Falcosidekick\'s own outputs never retry, so on the direct paths these alerts were dropped. See the "Kubernetes API errors" panel for the operations affected.',
      },
    },
    {
      alert: 'FalcoResponseAuthFailures',
      expr: `sum by (function) (increase(falco_response_rejected_requests_total{status="401"}[${WINDOW}])) > 0`,
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.function }} refused alerts with 401 (missing or wrong token)',
        description:
          '{{ $labels.function }} answered 401 to {{ $value }} alert requests in the last 10 minutes: the caller sent no token or a wrong one, e.g. after the token Secret was rotated on one side only. Falcosidekick will not tell you: its CloudEvents output counts and logs any answer that arrived, 401 included, as "Send OK", so these alerts were dropped with nothing in its logs or metrics. Make Falcosidekick\'s token (the authtoken CloudEvent extension or the webhook header) match the function\'s Secret.',
      },
    },
    {
      alert: 'FalcoResponseEventWriteFailures',
      expr: `sum by (function) (increase(falco_response_event_failures_total[${WINDOW}])) > 0`,
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.function }} could not record Kubernetes Events',
        description:
          "{{ $labels.function }} acted (or decided) but could not write the Kubernetes Event that records what it did and why ({{ $value }} in the last 10 minutes): the evidence is only in its log now. Check its permission to create events.k8s.io Events and the API server's health.",
      },
    },
    {
      alert: 'FalcoResponseEvidenceNotKept',
      // Every result's series starts at 0 (shared/runtime/metrics.ts), so increase() sees the first one.
      expr: `sum by (function) (increase(falco_response_evidence_captures_total{result=~"incomplete|failed"}[${WINDOW}])) > 0`,
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.function }} acted without keeping all the evidence',
        description:
          "{{ $labels.function }} acted {{ $value }} times in the last 10 minutes without keeping all the evidence first (the action never waits past EVIDENCE_TIMEOUT_MS): a log endpoint that did not answer in time, a refused call, or no Secret stored at all. What is missing is in each decision's log line (evidence, warnings), the action's Event and the evidence Secret's summary (falco-response evidence list). Check the function's permission to create Secrets in the evidence namespace, and the nodes' kubelets.",
      },
    },
    {
      alert: 'FalcoResponseNoAlerts',
      // 0 for a function that has not received any alert since it started (its alert counter
      // has no series yet), so a freshly started function is covered too.
      expr: `(\n  sum by (function) (increase(falco_response_alerts_total[${WINDOW}]))\n  or\n  sum by (function) (0 * falco_response_in_flight_alerts)\n) == 0`,
      for: noAlertsFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $labels.function }} has received no alert for ${noAlertsFor}`,
        description: `{{ $labels.function }} is running but has received no alert at all for ${noAlertsFor}. Falco or Falcosidekick may be down, or the route to the function (Falcosidekick's output address, the Broker, a Trigger, a NetworkPolicy) is broken. Send Falcosidekick's test alert (curl -X POST http://<falcosidekick>:2801/test) and look for its decision in the function's log. Raise observability.prometheusRule.noAlertsFor if your clusters are quiet for longer.`,
      },
    },
  ];
}

export const RULE_GROUP = 'falco-response-functions';
