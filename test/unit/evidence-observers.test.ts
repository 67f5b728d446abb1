// What a capture's result becomes in the decision (warning, Event note), the log line's
// `evidence` field and the metric, without a cluster: the pipeline puts the record in
// details.evidenceRecord, the observers read it from there or from the capture itself.
import { describe, expect, it } from 'vitest';
import type { CaptureResult } from '../../shared/forensics/capture.ts';
import { evidenceRecordOf, evidenceWarning, shortEvidenceRecord } from '../../shared/respond/evidence.ts';
import { logObserver, metricsObserver } from '../../shared/runtime/observers.ts';
import { FunctionMetrics } from '../../shared/runtime/metrics.ts';
import { alertFromValue } from '../../shared/alert/parse-request.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';

const stored = { namespace: 'falco-response-evidence', name: 'delete-pod-1234', existed: false };
const complete: CaptureResult = { mode: 'logs', stored, missing: [], cut: [], durationMs: 12 };
const incomplete: CaptureResult = { ...complete, missing: ['log app (current): timed out (EVIDENCE_TIMEOUT_MS)'], durationMs: 1001 };
const failed: CaptureResult = { mode: 'logs', missing: ['everything: storing Secret failed (forbidden)'], cut: [], durationMs: 30 };

describe("the decision's evidence record", () => {
  it('complete: the Secret, no warning; the Event note names it', () => {
    const record = evidenceRecordOf(complete);
    expect(record).toEqual({
      mode: 'logs',
      secret: 'falco-response-evidence/delete-pod-1234',
      result: 'complete',
      missing: [],
      cut: [],
      durationMs: 12,
    });
    expect(evidenceWarning(record)).toBeUndefined();
    expect(shortEvidenceRecord(record)).toBe('Evidence kept in Secret falco-response-evidence/delete-pod-1234');
  });

  it('incomplete and failed: a warning saying what is missing, and the note too', () => {
    expect(evidenceWarning(evidenceRecordOf(incomplete))).toBe(
      'evidence incomplete in Secret falco-response-evidence/delete-pod-1234: missing log app (current): timed out (EVIDENCE_TIMEOUT_MS)',
    );
    expect(shortEvidenceRecord(evidenceRecordOf(incomplete))).toBe(
      'Evidence kept in Secret falco-response-evidence/delete-pod-1234, incomplete (missing log app (current): timed out (EVIDENCE_TIMEOUT_MS))',
    );
    const record = evidenceRecordOf(failed);
    expect(record).toMatchObject({ result: 'failed', secret: undefined });
    expect(evidenceWarning(record)).toBe(
      'evidence not kept (the action went ahead without it): everything: storing Secret failed (forbidden)',
    );
    expect(shortEvidenceRecord(record)).toBe('Evidence not kept: everything: storing Secret failed (forbidden)');
  });
});

describe('the observers', () => {
  it('the log line carries `evidence`: the result and the Secret, only when a capture ran', () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = { info: (fields: Record<string, unknown>) => lines.push(fields) } as never;
    const observer = logObserver(log, { unselectedLogLevel: 'info', unselectedLog: 'each', unselectedLogIntervalMs: 60_000 });
    const alert = alertFromValue(alertFor('ns', 'pod'));
    const context = { requestId: 'r', transport: 'json' as const, durationMs: 1 };
    observer.decided(
      { outcome: 'acted', reason: 'deleted', message: 'm', details: { evidenceRecord: evidenceRecordOf(incomplete) } },
      alert,
      context,
    );
    observer.decided({ outcome: 'acted', reason: 'deleted', message: 'm', details: {} }, alert, context);
    expect(lines.map((line) => line.evidence)).toEqual(['incomplete falco-response-evidence/delete-pod-1234', undefined]);
  });

  it('falco_response_evidence_captures_total counts each capture by result, every result from 0', async () => {
    const metrics = new FunctionMetrics('delete-pod');
    const observer = metricsObserver(metrics);
    const values = async () =>
      Object.fromEntries(
        (await metrics.registry.getSingleMetric('falco_response_evidence_captures_total')!.get()).values.map((v) => [
          v.labels.result,
          v.value,
        ]),
      );
    expect(await values()).toEqual({ complete: 0, incomplete: 0, failed: 0 });
    for (const result of [complete, complete, incomplete, failed]) observer.evidenceCaptured(result);
    expect(await values()).toEqual({ complete: 2, incomplete: 1, failed: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^falco_response_evidence_capture_duration_seconds_count\{function="delete-pod"\} 4$/m);
  });
});
