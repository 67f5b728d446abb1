// What a function decided and did about one alert; the HTTP answer, the log line, the
// metric and the Kubernetes Event are all made from it.
export type Outcome = 'acted' | 'skipped' | 'dry-run' | 'error';

export interface DecisionTarget {
  namespace?: string;
  pod?: string;
  /** The workload acted on when it is not the pod itself (scale-to-zero). */
  kind?: string;
  name?: string;
}

export interface Decision {
  outcome: Outcome;
  /** Short machine-readable reason, e.g. "already-gone", "protected-namespace", "stale-target". */
  reason: string;
  /** One sentence a person reads. */
  message: string;
  target?: DecisionTarget;
  /** Things the operator must know even though the action succeeded (incomplete quarantine, GitOps drift). */
  warnings?: string[];
  details?: Record<string, unknown>;
  /** For outcome "error": whether the sender should retry (503) or not (500). */
  retryable?: boolean;
  /**
   * The alert is not one this function is configured for (RULES, MIN_PRIORITY, TAGS,
   * SOURCES): its log line is at UNSELECTED_LOG_LEVEL (info, or debug so that a Falco
   * forwarding everything does not flood the logs). The metric counts it either way.
   */
  notSelected?: boolean;
}

export function acted(reason: string, message: string, extra: Partial<Decision> = {}): Decision {
  return { outcome: 'acted', reason, message, ...extra };
}

export function skipped(reason: string, message: string, extra: Partial<Decision> = {}): Decision {
  return { outcome: 'skipped', reason, message, ...extra };
}

export function dryRun(reason: string, message: string, extra: Partial<Decision> = {}): Decision {
  return { outcome: 'dry-run', reason, message, ...extra };
}

export function failed(reason: string, message: string, retryable: boolean, extra: Partial<Decision> = {}): Decision {
  return { outcome: 'error', reason, message, retryable, ...extra };
}

/** The HTTP status for a decision, chosen for the senders' retry rules (Knative retries 5xx, Falcosidekick never retries). */
export function statusForDecision(decision: Decision): number {
  if (decision.outcome !== 'error') return 200;
  return decision.retryable ? 503 : 500;
}
