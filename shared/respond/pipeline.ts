// The decision pipeline every function runs, in the order that keeps it safe and cheap:
// checks that need no API call first, then the pod as the API server sees it, then the
// function's own plan, then dry-run / blast-radius, then the evidence (shared/forensics/), and
// only then a write.
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { alertAgeSeconds, findMismatch } from '../guards/alert-match.ts';
import { ActionBudget, type BudgetSlot } from '../coordination/action-budget.ts';
import { BlastRadiusLimit } from '../guards/blast-radius.ts';
import { clusterMismatch } from '../guards/cluster.ts';
import { EvidenceCapture } from '../forensics/capture.ts';
import type { EvidenceSettings } from '../forensics/evidence-settings.ts';
import { resolveControllingOwner } from '../guards/owner.ts';
import { optOutReason, runsContainer } from '../guards/pod-checks.ts';
import { evidenceOf, evidenceRecordOf, evidenceWarning, shortEvidence, shortEvidenceRecord } from './evidence.ts';
import { isSettled, RecentDecisions } from './recent-decisions.ts';
import { isTargetProblem, namedParts, podRef, podTargetOf, protectionOf, type PodTarget } from '../guards/target.ts';
import { KubeError } from '../k8s/errors.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { dryRun, failed, skipped, type Decision } from './decision.ts';
import type { DecisionObserver } from './decision-observer.ts';
import type { PipelineSettings } from './pipeline-settings.ts';
import { isPlan, type ExecutionResult, type ResponseFunctionSpec } from './function-spec.ts';

export interface PipelineOptions {
  /** No cluster to read: stop after the checks that need none, with a dry-run decision. */
  offline?: boolean;
  /** Hears of limits reached, budget refusals, evidence captures and Events that failed (the log line and metrics). */
  observer?: Pick<DecisionObserver, 'limitReached' | 'budgetRefused' | 'eventFailed' | 'evidenceCaptured'>;
  /** What to keep before each action (FunctionConfig.evidence); none when absent. */
  evidence?: EvidenceSettings;
}

export interface Pipeline {
  respond(alert: FalcoAlert): Promise<Decision>;
  readonly recent: RecentDecisions;
  readonly limit: BlastRadiusLimit;
  readonly budget: ActionBudget | undefined;
}

function kubeFailure(error: unknown): Decision {
  if (!(error instanceof KubeError)) throw error;
  if (error.kind === 'forbidden' || error.kind === 'unauthorized') {
    // Retrying cannot fix RBAC: say so loudly, and answer 500 so the sender records a failure.
    return failed(
      'forbidden',
      `${error.message} — the function's ServiceAccount lacks a permission; check its Role (knative/ or openfaas/ manifests)`,
      false,
    );
  }
  if (error.kind === 'invalid') return failed('rejected-by-api-server', error.message, false);
  return failed('api-unavailable', `${error.message}; nothing was changed that a retry would repeat`, true);
}

export function createPipeline(
  spec: ResponseFunctionSpec,
  config: PipelineSettings,
  kube: () => Promise<KubeClient>,
  options: PipelineOptions = {},
): Pipeline {
  const { observer } = options;
  const recent = new RecentDecisions(config.dedupeWindowSeconds, config.dedupeMaxEntries, config.dedupeMaxBytes);
  const limit = new BlastRadiusLimit(config.maxActionsPerWindow, config.actionWindowSeconds);
  const budget =
    config.budget?.namespace !== undefined && !options.offline
      ? new ActionBudget(
          {
            namespace: config.budget.namespace,
            lease: config.budget.lease,
            maxActions: config.budget.maxActions,
            windowSeconds: config.budget.windowSeconds,
            conflictAttempts: 8,
          },
          spec.name,
        )
      : undefined;
  const forensics = options.evidence && options.evidence.mode !== 'off' ? new EvidenceCapture(options.evidence) : undefined;

  function decideWithoutCluster(alert: FalcoAlert): { decision: Decision } | { target: PodTarget } {
    const mismatch = findMismatch(alert, config);
    if (mismatch) return { decision: skipped(mismatch.reason, mismatch.message, { notSelected: true }) };
    const elsewhere = clusterMismatch(alert, config);
    if (elsewhere) return { decision: skipped(elsewhere.reason, elsewhere.message) };
    const age = alertAgeSeconds(alert);
    if (config.maxAlertAgeSeconds > 0 && age > config.maxAlertAgeSeconds) {
      return {
        decision: skipped(
          'alert-too-old',
          `the alert is ${Math.round(age)} s old, more than MAX_ALERT_AGE_SECONDS=${config.maxAlertAgeSeconds} (a replay or a late retry)`,
        ),
      };
    }
    // A time ahead of ours would pass the age check for as long as it stays in the future.
    if (config.maxAlertAgeSeconds > 0 && -age > config.maxClockSkewSeconds) {
      return {
        decision: skipped(
          'alert-from-future',
          `the alert is dated ${Math.round(-age)} s in the future, more than MAX_CLOCK_SKEW_SECONDS=${config.maxClockSkewSeconds} (a wrong clock or a forged time)`,
        ),
      };
    }
    // Before the name check: "KUBE-SYSTEM" is not a valid name, but it is meant as kube-system.
    if (alert.namespace) {
      const protection = protectionOf(alert.namespace, config);
      if (protection) return { decision: skipped('protected-namespace', protection, { target: namedParts(alert) }) };
    }
    const target = podTargetOf(alert);
    if (isTargetProblem(target)) return { decision: skipped(target.reason, target.message) };
    return { target };
  }

  async function decideAgainstCluster(alert: FalcoAlert, target: PodTarget): Promise<Decision> {
    const client = await kube();
    // Both reads are needed before any action: in parallel, one round trip instead of two.
    const [pod, namespace] = await Promise.all([client.getPod(target.namespace, target.pod), client.getNamespace(target.namespace)]);
    if (!pod) {
      const gone = skipped('already-gone', `pod ${target.namespace}/${target.pod} does not exist (already deleted or never existed)`, {
        target,
      });
      return completeEarlierAction(client, alert, target, undefined, gone);
    }
    if (!runsContainer(pod, alert.containerId)) {
      return skipped(
        'stale-target',
        `pod ${target.namespace}/${target.pod} no longer runs container ${alert.containerId}: it was replaced since the alert`,
        { target },
      );
    }
    // A k8saudit alert has no container id: a pod created after the alert is not the one it saw
    // (a StatefulSet's pod recreated under the same name). creationTimestamp has whole seconds.
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : undefined;
    if (alert.targetSource === 'k8saudit' && created !== undefined && created > alert.time.getTime()) {
      return skipped(
        'stale-target',
        `pod ${target.namespace}/${target.pod} was created at ${new Date(created).toISOString()}, after the alert (${alert.timeText}): it is not the pod the alert saw`,
        { target },
      );
    }
    const optOut = optOutReason(pod, namespace);
    if (optOut) return skipped('opted-out', optOut, { target });
    const owner = await resolveControllingOwner(pod, client);
    if (config.skipOwnerKinds.includes(owner.kind)) {
      return skipped(
        'owner-kind-skipped',
        `the pod is controlled by a ${owner.kind} (${owner.chain.join(' → ')}), which SKIP_OWNER_KINDS excludes`,
        { target },
      );
    }
    const evidence = evidenceOf(pod);
    const plan = await spec.plan({ alert, target, pod, namespace, owner, evidence, kube: client });
    if (!isPlan(plan))
      return plan.reason.startsWith('already-') ? completeEarlierAction(client, alert, target, pod.metadata?.uid, plan) : plan;
    const planned = { target: plan.target, warnings: plan.warnings, details: { ...plan.details, evidence } };
    if (config.dryRun) return dryRun(plan.reason, `DRY_RUN: would ${plan.message}`, planned);
    if (!limit.tryReserve()) {
      observer?.limitReached(config.maxActionsPerWindow, config.actionWindowSeconds);
      const alarm = `blast-radius limit reached: ${config.maxActionsPerWindow} actions in ${config.actionWindowSeconds} s; acting as dry-run for ${limit.secondsUntilFree()} s`;
      await recordEvent(client, {
        regarding: podRef(target, pod.metadata?.uid),
        reason: 'BlastRadiusLimit',
        action: spec.name,
        note: `${alarm}. Would ${plan.message}. Rule: ${alert.rule}`,
        type: 'Warning',
      });
      return dryRun('blast-radius-limit', `${alarm}; would ${plan.message}`, { ...planned, warnings: [...(plan.warnings ?? []), alarm] });
    }
    let slot: { slot: BudgetSlot; reused: boolean } | undefined;
    if (budget) {
      const regarding =
        plan.target.kind && plan.target.name
          ? {
              apiVersion: owner.scalable?.object.apiVersion ?? 'apps/v1',
              kind: plan.target.kind,
              name: plan.target.name,
              uid: owner.scalable?.object.metadata?.uid,
            }
          : { apiVersion: 'v1', kind: 'Pod', name: target.pod, uid: pod.metadata?.uid };
      let answer: Awaited<ReturnType<ActionBudget['take']>>;
      try {
        answer = await budget.take(client, `${target.namespace}/${target.pod}`, alert.containerId ?? pod.metadata?.uid ?? '', regarding);
      } catch (error) {
        limit.release();
        throw error;
      }
      if (answer.outcome !== 'taken') {
        limit.release();
        const reason = answer.outcome === 'exhausted' ? 'budget-exhausted' : 'budget-unavailable';
        observer?.budgetRefused(reason, answer.message);
        await recordEvent(client, {
          regarding: podRef(target, pod.metadata?.uid),
          reason: answer.outcome === 'exhausted' ? 'ActionBudgetExhausted' : 'ActionBudgetUnavailable',
          action: spec.name,
          note: `${answer.message}. Would ${plan.message}. Rule: ${alert.rule}`,
          type: 'Warning',
        });
        return dryRun(reason, `${answer.message}; would ${plan.message}`, {
          ...planned,
          warnings: [...(plan.warnings ?? []), answer.message],
        });
      }
      slot = answer;
    }
    // Only now, when the action is certain: what the action destroys is kept first. Never throws,
    // never waits past EVIDENCE_TIMEOUT_MS; what it could not keep is said, and the action goes ahead.
    let kept: ReturnType<typeof evidenceRecordOf> | undefined;
    if (forensics) {
      const captured = await forensics.capture({ kube: client, pod, owner, alert, fn: spec.name });
      observer?.evidenceCaptured(captured);
      kept = evidenceRecordOf(captured);
    }
    let result: ExecutionResult;
    try {
      result = await plan.execute();
    } catch (error) {
      limit.release();
      if (slot && !slot.reused) await budget!.giveBack(client, slot.slot);
      throw error;
    }
    if (result.decision.outcome !== 'acted') {
      limit.release();
      // A fresh slot for a no-op goes back; one an earlier (crashed) attempt took stands for its action.
      if (slot && !slot.reused) await budget!.giveBack(client, slot.slot);
      if (slot?.reused && result.decision.reason.startsWith('already-'))
        return completeEarlierAction(client, alert, target, pod.metadata?.uid, result.decision);
    }
    if (result.event) {
      // The evidence Secret before the long pod summary: a note is cut at 1 KiB.
      const record = kept ? ` ${shortEvidenceRecord(kept)}.` : '';
      const note = `${result.event.note}${record} Alert: ${alert.rule} (${alert.priority}) at ${alert.timeText}${alert.uuid ? ` uuid=${alert.uuid}` : ''}. Evidence: ${shortEvidence(evidence)}`;
      await recordEvent(client, {
        type: 'Normal',
        ...result.event,
        note,
        ...(slot ? { name: actionEventName(target.namespace, slot.slot) } : {}),
      });
    }
    const warning = kept && evidenceWarning(kept);
    const warnings = warning ? [...(result.decision.warnings ?? []), warning] : result.decision.warnings;
    return {
      ...result.decision,
      ...(warnings && { warnings }),
      details: { ...plan.details, ...result.decision.details, evidence, ...(kept && { evidenceRecord: kept }) },
    };
  }

  async function recordEvent(
    client: KubeClient,
    event: Parameters<KubeClient['recordEvent']>[0],
  ): Promise<'recorded' | 'exists' | 'failed'> {
    try {
      return await client.recordEvent(event);
    } catch (error) {
      // The action stands even if its Event could not be written; the log line still records it.
      observer?.eventFailed(error);
      return 'failed';
    }
  }

  /**
   * The target is already in the state this function's action leaves it in. If a slot of this
   * function for this very action is live in the budget, an earlier attempt did it and may
   * have stopped (OOM, SIGKILL, node drain) before recording its Event: that Event is recorded
   * now, under the name derived from the slot, so a re-run never makes a second one.
   */
  async function completeEarlierAction(
    client: KubeClient,
    alert: FalcoAlert,
    target: PodTarget,
    uid: string | undefined,
    decision: Decision,
  ): Promise<Decision> {
    if (!budget || config.dryRun) return decision;
    const earlier = await budget.findSlot(client, `${target.namespace}/${target.pod}`, alert.containerId ?? uid);
    if (!earlier) return decision;
    const recorded = await recordEvent(client, {
      name: actionEventName(target.namespace, earlier),
      regarding: { ...earlier.regarding, namespace: target.namespace },
      reason: spec.actionEvent.reason,
      action: spec.actionEvent.action,
      type: 'Normal',
      note: `falco-response ${spec.name}: the action for pod ${target.namespace}/${target.pod} was completed by an earlier attempt (${new Date(earlier.at).toISOString()}) that stopped before recording it. Alert: ${alert.rule} (${alert.priority}) at ${alert.timeText}${alert.uuid ? ` uuid=${alert.uuid}` : ''}.`,
    });
    const said =
      recorded === 'recorded'
        ? ' its Event was recorded now'
        : recorded === 'exists'
          ? ' its Event was recorded then'
          : ' its Event could not be recorded';
    return {
      ...decision,
      message: `${decision.message}; an earlier attempt of this function did it at ${new Date(earlier.at).toISOString()} (budget slot ${earlier.id}):${said}`,
      details: {
        ...decision.details,
        completedEarlierAction: { slot: earlier.id, at: new Date(earlier.at).toISOString(), event: recorded },
      },
    };
  }

  async function respond(alert: FalcoAlert): Promise<Decision> {
    const early = decideWithoutCluster(alert);
    if ('decision' in early) return early.decision;
    const { target } = early;
    if (options.offline) {
      return dryRun(
        'no-cluster',
        `no cluster credentials (KUBECONFIG or in-cluster): would ${spec.name} for pod ${target.namespace}/${target.pod} after checking it`,
        { target },
      );
    }
    // The container id keeps a replacement pod with the same name from being taken for a repeat.
    const key = `${target.namespace}/${target.pod}/${alert.containerId ?? ''}`;
    const remembered = recent.recall(key);
    if (remembered) {
      return skipped(
        'already-handled',
        `an alert for ${target.namespace}/${target.pod} was handled ${Math.round((Date.now() - remembered.at) / 1000)} s ago (${remembered.decision.outcome}: ${remembered.decision.reason})`,
        { target },
      );
    }
    const { decision, shared } = await recent.once(key, async () => {
      let outcome: Decision;
      try {
        outcome = await decideAgainstCluster(alert, target);
      } catch (error) {
        outcome = kubeFailure(error);
      }
      // "Gone" is only known for the container the alert saw: without its id, a pod created
      // later under the same name would be taken for the one already handled.
      if (isSettled(outcome) && !(outcome.reason === 'already-gone' && alert.containerId === undefined)) recent.remember(key, outcome);
      return outcome;
    });
    // Alerts that arrived while another one for the same target was being handled did nothing themselves.
    if (shared && decision.outcome === 'acted') {
      return skipped('already-handled', `a concurrent alert for ${target.namespace}/${target.pod} handled it (${decision.reason})`, {
        target: decision.target ?? target,
      });
    }
    return decision;
  }

  return { respond, recent, limit, budget };
}

/** The Event of the action a budget slot stands for: one name, whichever attempt records it. */
export function actionEventName(namespace: string, slot: BudgetSlot): string {
  return (
    `${slot.regarding.name.slice(0, 200)}.${slot.id}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .slice(0, 253) || `${namespace}.${slot.id}`
  );
}
