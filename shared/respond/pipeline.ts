// The decision pipeline every function runs, in the order that keeps it safe and cheap:
// checks that need no API call first, then the pod as the API server sees it, then the
// function's own plan, then dry-run / blast-radius, and only then a write.
import type { FalcoAlert } from '../alert/falco-alert.ts';
import type { GuardConfig } from '../config/guard-config.ts';
import { alertAgeSeconds, findMismatch } from '../guards/alert-match.ts';
import { BlastRadiusLimit } from '../guards/blast-radius.ts';
import { resolveControllingOwner } from '../guards/owner.ts';
import { evidenceOf, optOutReason, runsContainer, shortEvidence } from '../guards/pod-checks.ts';
import { isSettled, RecentDecisions } from '../guards/recent-decisions.ts';
import { isTargetProblem, namedParts, podTargetOf, protectionOf, type PodTarget } from '../guards/target.ts';
import { KubeError } from '../k8s/errors.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { dryRun, failed, skipped, type Decision } from '../runtime/decision.ts';
import { isPlan, type ExecutionResult, type ResponseFunctionSpec } from './function-spec.ts';

export interface PipelineHooks {
  /** No cluster to read: stop after the checks that need none, with a dry-run decision. */
  offline?: boolean;
  /** The blast-radius limit was hit: an alarm for metrics. */
  onLimitReached?: () => void;
  onEventFailed?: (error: unknown) => void;
}

export interface Pipeline {
  respond(alert: FalcoAlert): Promise<Decision>;
  readonly recent: RecentDecisions;
  readonly limit: BlastRadiusLimit;
}

function kubeFailure(error: unknown): Decision {
  if (!(error instanceof KubeError)) throw error;
  if (error.kind === 'forbidden' || error.kind === 'unauthorized') {
    // Retrying cannot fix RBAC: say so loudly, and answer 500 so the sender records a failure.
    return failed('forbidden', `${error.message} — the function's ServiceAccount lacks a permission; check its Role (knative/ or openfaas/ manifests)`, false);
  }
  if (error.kind === 'invalid') return failed('rejected-by-api-server', error.message, false);
  return failed('api-unavailable', `${error.message}; nothing was changed that a retry would repeat`, true);
}

export function createPipeline(spec: ResponseFunctionSpec, config: GuardConfig, kube: () => Promise<KubeClient>, hooks: PipelineHooks = {}): Pipeline {
  const recent = new RecentDecisions(config.dedupeWindowSeconds, config.dedupeMaxEntries, config.dedupeMaxBytes);
  const limit = new BlastRadiusLimit(config.maxActionsPerWindow, config.actionWindowSeconds);

  function decideWithoutCluster(alert: FalcoAlert): { decision: Decision } | { target: PodTarget } {
    const mismatch = findMismatch(alert, config);
    if (mismatch) return { decision: skipped(mismatch.reason, mismatch.message, { notSelected: true }) };
    const age = alertAgeSeconds(alert);
    if (config.maxAlertAgeSeconds > 0 && age > config.maxAlertAgeSeconds) {
      return { decision: skipped('alert-too-old', `the alert is ${Math.round(age)} s old, more than MAX_ALERT_AGE_SECONDS=${config.maxAlertAgeSeconds} (a replay or a late retry)`) };
    }
    // A time ahead of ours would pass the age check for as long as it stays in the future.
    if (config.maxAlertAgeSeconds > 0 && -age > config.maxClockSkewSeconds) {
      return { decision: skipped('alert-from-future', `the alert is dated ${Math.round(-age)} s in the future, more than MAX_CLOCK_SKEW_SECONDS=${config.maxClockSkewSeconds} (a wrong clock or a forged time)`) };
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
    if (!pod) return skipped('already-gone', `pod ${target.namespace}/${target.pod} does not exist (already deleted or never existed)`, { target });
    if (!runsContainer(pod, alert.containerId)) {
      return skipped('stale-target', `pod ${target.namespace}/${target.pod} no longer runs container ${alert.containerId}: it was replaced since the alert`, { target });
    }
    const optOut = optOutReason(pod, namespace);
    if (optOut) return skipped('opted-out', optOut, { target });
    const owner = await resolveControllingOwner(pod, client);
    if (config.skipOwnerKinds.includes(owner.kind)) {
      return skipped('owner-kind-skipped', `the pod is controlled by a ${owner.kind} (${owner.chain.join(' → ')}), which SKIP_OWNER_KINDS excludes`, { target });
    }
    const evidence = evidenceOf(pod);
    const plan = await spec.plan({ alert, target, pod, namespace, owner, evidence, kube: client, config });
    if (!isPlan(plan)) return plan;
    const planned = { target: plan.target, warnings: plan.warnings, details: { ...plan.details, evidence } };
    if (config.dryRun) return dryRun(plan.reason, `DRY_RUN: would ${plan.message}`, planned);
    if (!limit.tryReserve()) {
      hooks.onLimitReached?.();
      const alarm = `blast-radius limit reached: ${config.maxActionsPerWindow} actions in ${config.actionWindowSeconds} s; acting as dry-run for ${limit.secondsUntilFree()} s`;
      await recordEvent(client, { regarding: podRef(target, pod.metadata?.uid), reason: 'BlastRadiusLimit', action: spec.name, note: `${alarm}. Would ${plan.message}. Rule: ${alert.rule}`, type: 'Warning' });
      return dryRun('blast-radius-limit', `${alarm}; would ${plan.message}`, { ...planned, warnings: [...(plan.warnings ?? []), alarm] });
    }
    let result: ExecutionResult;
    try {
      result = await plan.execute();
    } catch (error) {
      limit.release();
      throw error;
    }
    if (result.decision.outcome !== 'acted') limit.release();
    if (result.event) {
      const note = `${result.event.note} Alert: ${alert.rule} (${alert.priority}) at ${alert.timeText}${alert.uuid ? ` uuid=${alert.uuid}` : ''}. Evidence: ${shortEvidence(evidence)}`;
      await recordEvent(client, { type: 'Normal', ...result.event, note });
    }
    return { ...result.decision, details: { ...plan.details, ...result.decision.details, evidence } };
  }

  async function recordEvent(client: KubeClient, event: Parameters<KubeClient['recordEvent']>[0]): Promise<void> {
    try {
      await client.recordEvent(event);
    } catch (error) {
      // The action stands even if its Event could not be written; the log line still records it.
      hooks.onEventFailed?.(error);
    }
  }

  async function respond(alert: FalcoAlert): Promise<Decision> {
    const early = decideWithoutCluster(alert);
    if ('decision' in early) return early.decision;
    const { target } = early;
    if (hooks.offline) {
      return dryRun('no-cluster', `no cluster credentials (KUBECONFIG or in-cluster): would ${spec.name} for pod ${target.namespace}/${target.pod} after checking it`, { target });
    }
    // The container id keeps a replacement pod with the same name from being taken for a repeat.
    const key = `${target.namespace}/${target.pod}/${alert.containerId ?? ''}`;
    const remembered = recent.recall(key);
    if (remembered) {
      return skipped('already-handled', `an alert for ${target.namespace}/${target.pod} was handled ${Math.round((Date.now() - remembered.at) / 1000)} s ago (${remembered.decision.outcome}: ${remembered.decision.reason})`, { target });
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
      return skipped('already-handled', `a concurrent alert for ${target.namespace}/${target.pod} handled it (${decision.reason})`, { target: decision.target ?? target });
    }
    return decision;
  }

  return { respond, recent, limit };
}

export function podRef(target: PodTarget, uid: string | undefined) {
  return { apiVersion: 'v1', kind: 'Pod', name: target.pod, namespace: target.namespace, uid };
}
