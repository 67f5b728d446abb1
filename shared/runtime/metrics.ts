// Prometheus metrics on /metrics (prom-client): alerts by outcome and rule, actions by
// result, Kubernetes API latency, in-flight alerts, blast-radius alarms.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { Decision } from '../respond/decision.ts';

/**
 * Rule names come from the alert, so anyone who can reach the function could mint a new
 * time series per request: the first `max` distinct names keep their own label (Falco's
 * default ruleset has about 100 rules), later ones are counted under OTHER_RULES.
 */
export const OTHER_RULES = '(other)';
/** The rule label of alerts the function is not configured for (RULES, MIN_PRIORITY, REQUIRED_TAGS, SOURCES). */
export const NOT_SELECTED_RULES = '(not-selected)';
export class BoundedLabelValues {
  private readonly seen = new Set<string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  valueFor(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_RULES;
    this.seen.add(value);
    return value;
  }
}

/** The statuses the runtime (shared/runtime/) refuses alert requests with (the README's status table). */
export const REJECTION_STATUSES = ['400', '401', '413', '415', '422', '429', '500', '503'] as const;

/** The results of an evidence capture (shared/respond/evidence.ts captureResult). */
export const EVIDENCE_RESULTS = ['complete', 'incomplete', 'failed'] as const;

export class FunctionMetrics {
  readonly registry = new Registry();
  private readonly alerts: Counter;
  private readonly actions: Counter;
  private readonly decisionSeconds: Histogram;
  readonly kubeApiSeconds: Histogram;
  private readonly limitReached: Counter;
  private readonly eventFailures: Counter;
  private readonly rejected: Counter;
  private readonly ruleLabels: BoundedLabelValues;
  private readonly logLinesDropped: Counter;
  private readonly budgetRefusals: Counter;
  private readonly evidenceCaptures: Counter;
  private readonly evidenceSeconds: Histogram;

  constructor(functionName: string, maxRuleLabels = 200) {
    this.ruleLabels = new BoundedLabelValues(maxRuleLabels);
    this.registry.setDefaultLabels({ function: functionName });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.alerts = new Counter({
      name: 'falco_response_alerts_total',
      help: 'Alerts received, by outcome, reason and rule',
      labelNames: ['outcome', 'reason', 'rule'],
      registers,
    });
    this.actions = new Counter({
      name: 'falco_response_actions_total',
      help: 'Actions attempted, by result (acted, dry-run, error)',
      labelNames: ['result'],
      registers,
    });
    this.decisionSeconds = new Histogram({
      name: 'falco_response_decision_duration_seconds',
      help: 'Time from alert parsed to decision',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.kubeApiSeconds = new Histogram({
      name: 'falco_response_kube_api_duration_seconds',
      help: 'Kubernetes API call latency',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.limitReached = new Counter({
      name: 'falco_response_blast_radius_limit_reached_total',
      help: 'Actions turned into dry-runs because the blast-radius limit was reached',
      registers,
    });
    this.budgetRefusals = new Counter({
      name: 'falco_response_budget_refusals_total',
      help: 'Actions turned into dry-runs by the cluster-wide action budget: used up, or unavailable (fail safe)',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['budget-exhausted', 'budget-unavailable']) this.budgetRefusals.inc({ reason }, 0);
    // Each result starts at 0, so an alert rule on failed captures sees the series before the first one.
    this.evidenceCaptures = new Counter({
      name: 'falco_response_evidence_captures_total',
      help: 'Evidence captures before an action, by result: complete, incomplete (stored without some of it), failed (nothing stored; the action went ahead)',
      labelNames: ['result'],
      registers,
    });
    for (const result of EVIDENCE_RESULTS) this.evidenceCaptures.inc({ result }, 0);
    this.evidenceSeconds = new Histogram({
      name: 'falco_response_evidence_capture_duration_seconds',
      help: 'Time evidence capture added before the action (bounded by EVIDENCE_TIMEOUT_MS)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.logLinesDropped = new Counter({
      name: 'falco_response_log_lines_dropped_total',
      help: 'Log lines dropped because stdout was slower than LOG_BUFFER_BYTES allows to wait',
      registers,
    });
    this.eventFailures = new Counter({
      name: 'falco_response_event_failures_total',
      help: 'Kubernetes Events that could not be recorded',
      registers,
    });
    // Refused before any decision, so falco_response_alerts_total never sees them; a wrong token
    // (401) shows nowhere else: Falcosidekick's CloudEvents output logs any answer as sent.
    this.rejected = new Counter({
      name: 'falco_response_rejected_requests_total',
      help: 'Alert requests refused before a decision, by HTTP status (401: missing or wrong token)',
      labelNames: ['status'],
      registers,
    });
    // Each status the runtime refuses with starts at 0, so rate() and alert rules see the series before the first refusal.
    for (const status of REJECTION_STATUSES) this.rejected.inc({ status }, 0);
  }

  recordDecision(decision: Decision, alert: FalcoAlert | undefined, durationMs: number): void {
    // Only alerts the function is configured for name their rule: with RULES as exact names
    // (as shipped) the label's values are bounded by the configuration, not by the callers.
    const rule = decision.notSelected ? NOT_SELECTED_RULES : this.ruleLabels.valueFor(alert?.rule ?? '');
    this.alertsCounted(decision.outcome, decision.reason, rule).inc();
    this.decisionTimed(decision.outcome).observe(durationMs / 1000);
    if (
      decision.outcome === 'acted' ||
      decision.outcome === 'dry-run' ||
      (decision.outcome === 'error' && decision.reason !== 'bad-request')
    ) {
      this.actions.inc({ result: decision.outcome });
    }
  }

  // prom-client hashes a labels object on every inc() and observe(); the children bound to
  // their labels are kept instead (their number is bounded by the labels' own bounds).
  private readonly alertChildren = new Map<string, { inc(): void }>();
  private readonly decisionChildren = new Map<string, { observe(value: number): void }>();

  private alertsCounted(outcome: string, reason: string, rule: string): { inc(): void } {
    const key = `${outcome}\u0000${reason}\u0000${rule}`;
    let child = this.alertChildren.get(key);
    if (!child) {
      child = this.alerts.labels({ outcome, reason, rule });
      this.alertChildren.set(key, child);
    }
    return child;
  }

  private decisionTimed(outcome: string): { observe(value: number): void } {
    let child = this.decisionChildren.get(outcome);
    if (!child) {
      child = this.decisionSeconds.labels({ outcome });
      this.decisionChildren.set(outcome, child);
    }
    return child;
  }

  recordKubeCall(operation: string, durationMs: number, outcome: string): void {
    this.kubeApiSeconds.observe({ operation, outcome }, durationMs / 1000);
  }

  /** Gauges of the dedupe memory, read at scrape time: its size is bounded in entries and bytes. */
  watchDedupe(recent: { readonly size: number; readonly byteSize: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'falco_response_dedupe_entries',
      help: 'Targets remembered by the dedupe memory',
      registers,
      collect() {
        this.set(recent.size);
      },
    });
    new Gauge({
      name: 'falco_response_dedupe_bytes',
      help: 'Estimated bytes held by the dedupe memory (bounded by DEDUPE_MAX_BYTES)',
      registers,
      collect() {
        this.set(recent.byteSize);
      },
    });
  }

  /** The runtime's own count of alerts in flight, read at scrape time (counted once, in shared/runtime/limits.ts). */
  watchInFlight(inFlight: { readonly count: number }): void {
    const registers = [this.registry];
    const help = 'Alerts being handled now';
    new Gauge({
      name: 'falco_response_in_flight_alerts',
      help,
      registers,
      collect() {
        this.set(inFlight.count);
      },
    });
  }

  recordLimitReached(): void {
    this.limitReached.inc();
  }

  recordBudgetRefusal(reason: 'budget-exhausted' | 'budget-unavailable'): void {
    this.budgetRefusals.inc({ reason });
  }

  recordEvidenceCapture(result: (typeof EVIDENCE_RESULTS)[number], durationMs: number): void {
    this.evidenceCaptures.inc({ result });
    this.evidenceSeconds.observe(durationMs / 1000);
  }

  recordLogLineDropped(): void {
    this.logLinesDropped.inc();
  }

  recordRejected(status: number): void {
    this.rejected.inc({ status: String(status) });
  }

  recordEventFailure(): void {
    this.eventFailures.inc();
  }
}
