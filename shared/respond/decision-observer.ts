// Who hears about what the pipeline and the runtime decided: one observer (the log line and the
// metrics behind it, see shared/runtime/observers.ts) instead of callbacks threaded through a hub.
import type { AlertTransport } from '../alert/parse-request.ts';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { CaptureResult } from '../forensics/capture.ts';
import type { Decision } from './decision.ts';

export interface DecisionContext {
  requestId: string;
  transport: AlertTransport;
  durationMs: number;
}

export interface RejectionContext {
  requestId: string;
  field: string;
  reason: string;
}

export interface DecisionObserver {
  /** A decision was made about an alert (and is being answered). */
  decided(decision: Decision, alert: FalcoAlert, context: DecisionContext): void;
  /** An alert request was refused before a decision (401, 400, 413, 415, 422, 429, 500, 503). */
  rejected(status: number, context: RejectionContext): void;
  /** The blast-radius limit was hit: further actions are dry-runs until its window passes. */
  limitReached(limit: number, windowSeconds: number): void;
  /** The cluster-wide budget refused a slot (used up, or unavailable: fail safe). */
  budgetRefused(reason: 'budget-exhausted' | 'budget-unavailable', message: string): void;
  /** Evidence was captured (or not, in part or in full) right before an action. */
  evidenceCaptured(result: CaptureResult): void;
  /** A Kubernetes Event could not be recorded (the action itself stands). */
  eventFailed(error: unknown): void;
  /** stdout was too slow and a log line was dropped. */
  logLineDropped(): void;
}

/** Feeds every observer in turn (the log line, then metrics). */
export function allOf(...observers: Partial<DecisionObserver>[]): DecisionObserver {
  return {
    decided: (decision, alert, context) => {
      for (const o of observers) o.decided?.(decision, alert, context);
    },
    rejected: (status, context) => {
      for (const o of observers) o.rejected?.(status, context);
    },
    limitReached: (limit, windowSeconds) => {
      for (const o of observers) o.limitReached?.(limit, windowSeconds);
    },
    budgetRefused: (reason, message) => {
      for (const o of observers) o.budgetRefused?.(reason, message);
    },
    evidenceCaptured: (result) => {
      for (const o of observers) o.evidenceCaptured?.(result);
    },
    eventFailed: (error) => {
      for (const o of observers) o.eventFailed?.(error);
    },
    logLineDropped: () => {
      for (const o of observers) o.logLineDropped?.();
    },
  };
}
