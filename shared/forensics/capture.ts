// Evidence kept before the action: the pod as read, its owners, the alert, the pod's Events
// and (EVIDENCE=logs) the last bytes of each container's log, current and previous instance,
// stored as one Secret in the evidence namespace. One call the pipeline makes before
// plan.execute(); it never throws and never takes longer than EVIDENCE_TIMEOUT_MS: whatever
// could not be captured in time (or at all) is listed in `missing`, and the action goes ahead.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { ControllingOwner } from '../guards/owner.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { CaptureSlots } from './capture-slots.ts';
import { evidenceSecret, type CapturedLog, type EvidenceContent } from './evidence-record.ts';
import type { EvidenceSettings } from './evidence-settings.ts';
import { readLogTail } from './log-tail.ts';

export interface CaptureInput {
  kube: KubeClient;
  pod: V1Pod;
  owner: ControllingOwner;
  alert: FalcoAlert;
  fn: string;
}

export interface CaptureResult {
  mode: EvidenceSettings['mode'];
  /** The evidence Secret, when one was stored (or an earlier attempt of this action stored it). */
  stored?: { namespace: string; name: string; existed: boolean };
  /** What could not be captured; empty when everything was. */
  missing: string[];
  /** What was shortened to fit. */
  cut: string[];
  durationMs: number;
}

// The reads get this share of the deadline; the rest is the store's.
const READ_SHARE = 0.7;
// Events kept at most, the newest.
const MAX_EVENTS = 100;

export class EvidenceCapture {
  private readonly slots: CaptureSlots;
  private readonly settings: EvidenceSettings;
  constructor(settings: EvidenceSettings) {
    this.settings = settings;
    this.slots = new CaptureSlots(settings.maxConcurrent);
  }

  /** Never throws; returns by EVIDENCE_TIMEOUT_MS even if an API call ignores its abort. */
  async capture(input: CaptureInput): Promise<CaptureResult> {
    const started = performance.now();
    const { mode, timeoutMs } = this.settings;
    if (mode === 'off') return { mode, missing: [], cut: [], durationMs: 0 };
    const deadline = AbortSignal.timeout(timeoutMs);
    let late: NodeJS.Timeout | undefined;
    const overdue = new Promise<CaptureResult>((done) => {
      late = setTimeout(
        () =>
          done({
            mode,
            missing: [`everything: the capture did not finish within EVIDENCE_TIMEOUT_MS=${timeoutMs}`],
            cut: [],
            durationMs: timeoutMs,
          }),
        timeoutMs + 50,
      );
    });
    try {
      const result = await Promise.race([this.captureWithin(input, deadline), overdue]);
      return { ...result, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { mode, missing: [`everything: ${(error as Error).message}`], cut: [], durationMs: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(late);
    }
  }

  private async captureWithin(input: CaptureInput, deadline: AbortSignal): Promise<Omit<CaptureResult, 'durationMs'>> {
    const { timeoutMs, namespace } = this.settings;
    const mode = this.settings.mode as 'facts' | 'logs';
    const release = await this.slots.acquire(deadline);
    if (!release)
      return {
        mode,
        missing: [
          `everything: ${this.settings.maxConcurrent} captures already running (EVIDENCE_MAX_CONCURRENT) ` +
            `for EVIDENCE_TIMEOUT_MS=${timeoutMs}`,
        ],
        cut: [],
      };
    try {
      const reads = AbortSignal.any([deadline, AbortSignal.timeout(Math.floor(timeoutMs * READ_SHARE))]);
      const missing: string[] = [];
      const [events, logs] = await Promise.all([
        this.events(input, reads, missing),
        mode === 'logs' ? this.logs(input, reads, missing) : Promise.resolve([]),
      ]);
      const content: EvidenceContent = {
        pod: withoutManagedFields(input.pod),
        owner: ownerOf(input.owner),
        alert: alertJson(input.alert),
        events,
        logs,
      };
      const pod = { namespace: input.pod.metadata!.namespace!, name: input.pod.metadata!.name!, uid: input.pod.metadata!.uid! };
      const summary = {
        function: input.fn,
        pod,
        rule: input.alert.rule,
        alertTime: input.alert.timeText,
        capturedAt: new Date().toISOString(),
        mode,
        missing,
      };
      const { secret, summary: stored } = evidenceSecret(content, summary, namespace);
      try {
        const created = await input.kube.createSecret(namespace, secret, deadline);
        return { mode, stored: { namespace, name: secret.metadata!.name!, existed: created === 'exists' }, missing, cut: stored.cut };
      } catch (error) {
        return {
          mode,
          missing: [...missing, `everything: storing Secret ${namespace}/${secret.metadata!.name} failed (${failure(error, deadline)})`],
          cut: [],
        };
      }
    } finally {
      release();
    }
  }

  private async events(input: CaptureInput, signal: AbortSignal, missing: string[]): Promise<CoreV1Event[]> {
    try {
      const list = await input.kube.listEventsAbout(input.pod.metadata!.namespace!, input.pod.metadata!.uid!, signal);
      return list.items
        .sort((a, b) => eventTime(a) - eventTime(b))
        .slice(-MAX_EVENTS)
        .map(withoutManagedFields);
    } catch (error) {
      missing.push(`events: ${failure(error, signal)}`);
      return [];
    }
  }

  private async logs(input: CaptureInput, signal: AbortSignal, missing: string[]): Promise<CapturedLog[]> {
    const ref = { namespace: input.pod.metadata!.namespace!, name: input.pod.metadata!.name! };
    const reads = containersOf(input.pod).map(async ({ container, instance }): Promise<CapturedLog | undefined> => {
      try {
        const tail = await readLogTail(input.kube, ref, container, {
          previous: instance === 'previous',
          bytes: this.settings.logBytes,
          signal,
        });
        return { container, instance, text: tail.text, ...(tail.cut && { cut: tail.cut }) };
      } catch (error) {
        missing.push(`log ${container} (${instance}): ${failure(error, signal)}`);
        return undefined;
      }
    });
    return (await Promise.all(reads)).filter((log): log is CapturedLog => log !== undefined);
  }
}

/** Every container that ran, and its previous instance when it restarted. */
function containersOf(pod: V1Pod): Array<{ container: string; instance: CapturedLog['instance'] }> {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  return statuses.flatMap((status) => [
    ...(status.state?.waiting && !status.lastState?.terminated ? [] : [{ container: status.name, instance: 'current' as const }]),
    ...((status.restartCount ?? 0) > 0 || status.lastState?.terminated ? [{ container: status.name, instance: 'previous' as const }] : []),
  ]);
}

function failure(error: unknown, signal: AbortSignal): string {
  return signal.aborted ? 'timed out (EVIDENCE_TIMEOUT_MS)' : (error as Error).message.slice(0, 300);
}

function eventTime(event: CoreV1Event): number {
  const at = event.eventTime ?? event.lastTimestamp ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  return at ? new Date(at as unknown as string).getTime() : 0;
}

function withoutManagedFields<T extends { metadata?: { managedFields?: unknown } }>(object: T): T {
  const { managedFields: _dropped, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}

function ownerOf(owner: ControllingOwner): EvidenceContent['owner'] {
  return { kind: owner.kind, name: owner.name, chain: owner.chain };
}

/** The alert as Falco sends it (its JSON field names). */
export function alertJson(alert: FalcoAlert): Record<string, unknown> {
  return {
    uuid: alert.uuid,
    rule: alert.rule,
    priority: alert.priority,
    time: alert.timeText,
    source: alert.source,
    hostname: alert.hostname,
    output: alert.output,
    tags: alert.tags,
    output_fields: alert.outputFields,
  };
}
