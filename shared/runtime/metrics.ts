// Prometheus metrics on /metrics (prom-client): alerts by outcome and rule, actions by
// result, Kubernetes API latency, in-flight alerts, blast-radius alarms.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { Decision } from './decision.ts';

export class FunctionMetrics {
  readonly registry = new Registry();
  private readonly alerts: Counter;
  private readonly actions: Counter;
  private readonly decisionSeconds: Histogram;
  readonly kubeApiSeconds: Histogram;
  readonly inFlight: Gauge;
  private readonly limitReached: Counter;
  private readonly eventFailures: Counter;

  constructor(functionName: string) {
    this.registry.setDefaultLabels({ function: functionName });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.alerts = new Counter({ name: 'falco_response_alerts_total', help: 'Alerts received, by outcome, reason and rule', labelNames: ['outcome', 'reason', 'rule'], registers });
    this.actions = new Counter({ name: 'falco_response_actions_total', help: 'Actions attempted, by result (acted, dry-run, error)', labelNames: ['result'], registers });
    this.decisionSeconds = new Histogram({ name: 'falco_response_decision_duration_seconds', help: 'Time from alert parsed to decision', labelNames: ['outcome'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.kubeApiSeconds = new Histogram({ name: 'falco_response_kube_api_duration_seconds', help: 'Kubernetes API call latency', labelNames: ['operation', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.inFlight = new Gauge({ name: 'falco_response_in_flight_alerts', help: 'Alerts being handled now', registers });
    this.limitReached = new Counter({ name: 'falco_response_blast_radius_limit_reached_total', help: 'Actions turned into dry-runs because the blast-radius limit was reached', registers });
    this.eventFailures = new Counter({ name: 'falco_response_event_failures_total', help: 'Kubernetes Events that could not be recorded', registers });
  }

  recordDecision(decision: Decision, alert: FalcoAlert | undefined, durationMs: number): void {
    this.alerts.inc({ outcome: decision.outcome, reason: decision.reason, rule: alert?.rule ?? '' });
    this.decisionSeconds.observe({ outcome: decision.outcome }, durationMs / 1000);
    if (decision.outcome === 'acted' || decision.outcome === 'dry-run' || (decision.outcome === 'error' && decision.reason !== 'bad-request')) {
      this.actions.inc({ result: decision.outcome });
    }
  }

  recordKubeCall(operation: string, durationMs: number, outcome: string): void {
    this.kubeApiSeconds.observe({ operation, outcome }, durationMs / 1000);
  }

  recordLimitReached(): void {
    this.limitReached.inc();
  }

  recordEventFailure(): void {
    this.eventFailures.inc();
  }
}
