// The two observers of decisions every function has: its log line and its metrics.
import type { FastifyBaseLogger } from 'fastify';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import type { DecisionObserver } from '../respond/decision-observer.ts';
import type { Decision } from '../respond/decision.ts';
import { captureResult, type EvidenceRecordSummary } from '../respond/evidence.ts';
import { boundedText } from './bounded-text.ts';
import type { FunctionMetrics } from './metrics.ts';
import { summaryEvery, UnselectedSummary } from './unselected-summary.ts';

/** Falco's outputs are a line or two; the schema allows 256 KiB, more than a log line should carry. */
const MAX_LOGGED_OUTPUT = 8192;

/** The log line's `evidence` field: what was kept before the action, where (absent when no capture ran). */
function evidenceField(decision: Decision): string | undefined {
  const record = decision.details?.evidenceRecord as EvidenceRecordSummary | undefined;
  return record && `${record.result}${record.secret ? ` ${record.secret}` : ''}`;
}

export type LogObserverSettings = Pick<RuntimeConfig, 'unselectedLogLevel' | 'unselectedLog' | 'unselectedLogIntervalMs'>;

/** The decision log line; `close()` writes the summary of alerts not selected still pending (on shutdown). */
export interface LogObserver extends DecisionObserver {
  close(): void;
}

export function logObserver(log: FastifyBaseLogger, config: LogObserverSettings): LogObserver {
  const summary =
    config.unselectedLog === 'summary'
      ? new UnselectedSummary((line) =>
          log[config.unselectedLogLevel](line, `summary: ${line.count} alert${line.count === 1 ? '' : 's'} skipped (${line.reason})`),
        )
      : undefined;
  const flushing = summary && summaryEvery(summary, config.unselectedLogIntervalMs);
  return {
    close: () => flushing?.stop(),
    decided(decision, alert, { requestId, transport, durationMs }) {
      if (decision.notSelected && summary) return summary.add(alert.rule, decision.reason);
      // Names and text from the alert are bounded for the log (validated names are short anyway).
      const namespace = decision.target?.namespace ?? alert.namespace;
      const pod = decision.target?.pod ?? alert.podName;
      const level = decision.outcome === 'error' ? 'error' : decision.notSelected ? config.unselectedLogLevel : 'info';
      log[level](
        {
          requestId,
          uuid: alert.uuid,
          rule: alert.rule,
          priority: alert.priority,
          transport,
          namespace: namespace === undefined ? undefined : boundedText(namespace, 253),
          pod: pod === undefined ? undefined : boundedText(pod, 253),
          outcome: decision.outcome,
          reason: decision.reason,
          warnings: decision.warnings,
          evidence: evidenceField(decision),
          details: decision.details,
          // The alert's own words, kept with what was done about it (not for alerts filtered out).
          output: decision.notSelected || alert.output === undefined ? undefined : boundedText(alert.output, MAX_LOGGED_OUTPUT),
          durationMs,
        },
        `decision: ${decision.outcome} (${decision.reason})`,
      );
    },
    rejected(status, { requestId, field, reason }) {
      log.info({ requestId, status, field, reason }, 'request rejected');
    },
    limitReached(limit, windowSeconds) {
      log.error({ limit, windowSeconds }, 'BLAST-RADIUS LIMIT REACHED: further actions are dry-runs until the window passes');
    },
    budgetRefused(reason, message) {
      log.error({ reason }, `${reason === 'budget-unavailable' ? 'ACTION BUDGET UNAVAILABLE' : 'ACTION BUDGET USED UP'}: ${message}`);
    },
    evidenceCaptured() {},
    eventFailed(error) {
      log.warn({ err: error }, 'could not record the Kubernetes Event');
    },
    logLineDropped() {},
  };
}

export function metricsObserver(metrics: FunctionMetrics): DecisionObserver {
  return {
    decided: (decision, alert, { durationMs }) => metrics.recordDecision(decision, alert, durationMs),
    rejected: (status) => metrics.recordRejected(status),
    limitReached: () => metrics.recordLimitReached(),
    budgetRefused: (reason) => metrics.recordBudgetRefusal(reason),
    evidenceCaptured: (result) => metrics.recordEvidenceCapture(captureResult(result), result.durationMs),
    eventFailed: () => metrics.recordEventFailure(),
    logLineDropped: () => metrics.recordLogLineDropped(),
  };
}
