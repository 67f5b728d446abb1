// scale-to-zero: scales the workload that owns the pod to 0 replicas through the scale
// subresource, so the pod is not simply recreated; the previous count is recorded on the
// workload so it can be restored.
import type { V1Scale } from '@kubernetes/client-node';
import { writeAtReadVersion } from '../../shared/k8s/conflict.ts';
import { KEYS, ruleAnnotation } from '../../shared/k8s/keys.ts';
import type { KubeClient, KubeObject, ScalableKind } from '../../shared/k8s/kube-client.ts';
import { acted, failed, skipped, type Decision } from '../../shared/respond/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { fluxGitSource, GitSourceProblem, type FluxGitSource } from '../../shared/gitops/flux.ts';
import { GitFailure } from '../../shared/gitops/git-failure.ts';
import { describeOwner, gitOpsOwnerOf, type GitOpsOwner } from '../../shared/gitops/owner.ts';
import {
  GITOPS_COMMIT_ANNOTATION,
  GITOPS_MODE_ANNOTATION,
  GITOPS_SUSPENDED_ANNOTATION,
  PREVIOUS_REPLICAS_ANNOTATION,
} from '../../shared/gitops/records.ts';
import type { PolicyRule } from '../../shared/respond/function-spec.ts';
import { commitZeroReplicas, reconcileCommit } from './gitops-commit.ts';
import { GitOpsStepFailed, suspendOwner } from './gitops-suspend.ts';
import { ownerWarning } from './gitops.ts';
import { DEFAULT_SETTINGS, SCALE_TO_ZERO_SETTINGS, type GitOpsMode, type ScaleToZeroSettings } from './settings.ts';

export { PREVIOUS_REPLICAS_ANNOTATION };

// On a live cluster the workload's controller writes its status all the time (each write a new
// resourceVersion), so a precondition can fail with no other instance involved: each step reads
// again and retries a few times. A racing instance that scaled meanwhile shows as 0 replicas;
// every successful write happens once (the record once, the scale once).
const SCALE_CONFLICT_ATTEMPTS = 4;

function retryOnConflict<T>(
  kube: KubeClient,
  kind: ScalableKind,
  namespace: string,
  name: string,
  first: V1Scale,
  write: (current: V1Scale) => Promise<T>,
): Promise<T | 'already-scaled'> {
  return writeAtReadVersion({
    read: first,
    attempts: SCALE_CONFLICT_ATTEMPTS,
    write,
    readAgain: () => kube.readScale(kind, namespace, name),
    settle: (now) => ((now.spec?.replicas ?? 0) === 0 ? ('already-scaled' as const) : undefined),
  });
}

async function scaleToZero(
  kube: KubeClient,
  kind: ScalableKind,
  namespace: string,
  name: string,
  scale: V1Scale,
  annotations: Record<string, string>,
): Promise<'scaled' | 'already-scaled'> {
  // First the record of what it was, with the resourceVersion read: a racing instance gets 409 here.
  const recorded = await retryOnConflict(kube, kind, namespace, name, scale, (current) =>
    kube.patchWorkloadAnnotations(
      kind,
      namespace,
      name,
      { ...annotations, [PREVIOUS_REPLICAS_ANNOTATION]: String(current.spec?.replicas ?? 0) },
      current.metadata!.resourceVersion!,
    ),
  );
  if (recorded === 'already-scaled') return recorded;
  const scaled = await retryOnConflict(
    kube,
    kind,
    namespace,
    name,
    { ...scale, metadata: { ...scale.metadata, resourceVersion: recorded.metadata!.resourceVersion! } },
    (current) =>
      kube.replaceScale(kind, namespace, name, {
        metadata: { name, namespace, resourceVersion: current.metadata!.resourceVersion! },
        spec: { replicas: 0 },
      }),
  );
  return scaled === 'already-scaled' ? scaled : 'scaled';
}

/** What the GitOps step will be, decided in the plan from API reads only (dry-run makes no Git access). */
type GitOpsStep =
  | { mode: 'none' }
  | { mode: 'warn'; owner: GitOpsOwner }
  | { mode: 'suspend'; owner: GitOpsOwner; instead?: string }
  | { mode: 'commit'; owner: GitOpsOwner; source: FluxGitSource }
  | { mode: 'unable'; owner: GitOpsOwner; why: string };

async function gitOpsStep(kube: KubeClient, object: KubeObject, settings: ScaleToZeroSettings): Promise<GitOpsStep> {
  const owner = gitOpsOwnerOf(object, settings.argoNamespace);
  if (!owner) return { mode: 'none' };
  if (settings.gitOpsMode === 'warn') return { mode: 'warn', owner };
  if (settings.gitOpsMode === 'suspend') return { mode: 'suspend', owner };
  let why: string;
  if (owner.tool === 'flux' && owner.kind === 'Kustomization') {
    try {
      return { mode: 'commit', owner, source: await fluxGitSource(kube, owner.namespace, owner.name) };
    } catch (error) {
      if (!(error instanceof GitSourceProblem)) throw error;
      why = error.message;
    }
  } else why = `commit mode writes to the Git source of a Flux Kustomization; ${describeOwner(owner)} is not one`;
  return settings.gitOpsFallback === 'suspend' ? { mode: 'suspend', owner, instead: why } : { mode: 'unable', owner, why };
}

function planWords(step: GitOpsStep, workload: string): string {
  switch (step.mode) {
    case 'suspend':
      return `suspend ${describeOwner(step.owner)}${step.instead ? ` (GITOPS_FALLBACK: ${step.instead})` : ''}, then `;
    case 'commit':
      return `commit replicas 0 for ${workload} to ${step.source.url} (branch ${step.source.branch}, path ${step.source.path}), request a Flux reconciliation, and `;
    default:
      return '';
  }
}

function createPlan(settings: ScaleToZeroSettings) {
  return async function plan({
    target,
    owner,
    alert,
    kube,
  }: PlanContext): Promise<Decision | Awaited<ReturnType<ResponseFunctionSpec['plan']>>> {
    if (!owner.scalable) {
      return skipped('not-scalable', `${owner.notScalable}. Use delete-pod (or isolate-pod to keep it for examination) for this pod.`, {
        target,
        details: { owner: owner.chain.slice(1).join(' → ') || null },
      });
    }
    const { kind, name, object } = owner.scalable;
    const workload = { namespace: target.namespace, pod: target.pod, kind, name };
    const scale = await kube.readScale(kind, target.namespace, name);
    const replicas = scale.spec?.replicas ?? 0;
    if (replicas === 0)
      return skipped('already-scaled', `${kind} ${target.namespace}/${name} is already at 0 replicas`, { target: workload });
    const step = await gitOpsStep(kube, object, settings);
    const what = `${kind} ${target.namespace}/${name}`;
    const warnings =
      step.mode === 'warn'
        ? [`managed by ${ownerWarning(step.owner)}`]
        : step.mode === 'unable'
          ? [`managed by ${describeOwner(step.owner)}, which will scale it back: ${step.why} (GITOPS_FALLBACK=none)`]
          : [];
    const plannedGitOps = step.mode === 'none' ? undefined : { mode: step.mode, owner: step.owner };
    return {
      reason: 'scale-to-zero',
      message: `${planWords(step, what)}scale ${what} from ${replicas} to 0 replicas (owner of pod ${target.pod})`,
      target: workload,
      warnings,
      details: { previousReplicas: replicas, chain: owner.chain.join(' → '), ...(plannedGitOps && { gitops: plannedGitOps }) },
      async execute() {
        const annotations: Record<string, string> = {
          [PREVIOUS_REPLICAS_ANNOTATION]: String(replicas),
          [KEYS.scaledToZeroAt.key]: new Date().toISOString(),
          [KEYS.scaledByRule.key]: ruleAnnotation(alert.rule),
          [KEYS.scaledForAlertTime.key]: alert.timeText,
          [KEYS.scaledForPod.key]: target.pod,
        };
        const done = await gitOpsFirst(kube, step, settings, workload, alert, replicas, annotations);
        const result = await scaleToZero(kube, kind, target.namespace, name, scale, annotations);
        if (result === 'already-scaled')
          return {
            decision: skipped('already-scaled', `${kind} ${target.namespace}/${name} was scaled to 0 meanwhile`, { target: workload }),
          };
        const reconcile = done.commit
          ? await reconcileCommit(kube, (step as { source: FluxGitSource }).source, done.commit.sha)
          : undefined;
        const allWarnings = [...warnings, ...done.warnings];
        const details = {
          previousReplicas: replicas,
          ...(done.gitops && {
            gitops: { ...done.gitops, ...(reconcile && { reconcileRequestedAt: reconcile.requestedAt, commitServed: reconcile.served }) },
          }),
        };
        const scaled = `scaled ${what} from ${replicas} to 0 replicas`;
        const decision = done.failure
          ? failed(
              done.failure.reason,
              `${scaled}, but ${done.failure.message}: ${describeOwner((step as { owner: GitOpsOwner }).owner)} will scale it back at its next sync`,
              false,
              { target: workload, warnings: allWarnings, details },
            )
          : acted('scaled-to-zero', `${scaled}${done.summary}`, { target: workload, warnings: allWarnings, details });
        return {
          decision,
          event: {
            regarding: {
              apiVersion: object.apiVersion ?? (kind === 'ReplicationController' ? 'v1' : 'apps/v1'),
              kind,
              name,
              namespace: target.namespace,
              uid: object.metadata?.uid,
            },
            reason: 'ScaledToZero',
            action: 'Scale',
            type:
              step.mode === 'none' || (done.gitops && !done.failure && done.warnings.length === 0)
                ? ('Normal' as const)
                : ('Warning' as const),
            note: `falco-response scale-to-zero: ${replicas} → 0 replicas (previous count in annotation ${PREVIOUS_REPLICAS_ANNOTATION}); pod ${target.pod}.${done.summary}${allWarnings.length ? ` WARNING: ${allWarnings.join('; ')}.` : ''}${done.failure ? ` FAILED: ${done.failure.message}.` : ''}`,
            ...(done.commit && { annotations: { [GITOPS_COMMIT_ANNOTATION]: done.commit.sha } }),
          },
        };
      },
    };
  };
}

interface GitOpsDone {
  gitops?: Record<string, unknown>;
  commit?: { sha: string };
  summary: string;
  warnings: string[];
  failure?: { reason: string; message: string };
}

/** The GitOps step before the scale: its record joins the workload's annotations. */
async function gitOpsFirst(
  kube: KubeClient,
  step: GitOpsStep,
  settings: ScaleToZeroSettings,
  workload: { namespace: string; pod: string; kind: string; name: string },
  alert: PlanContext['alert'],
  replicas: number,
  annotations: Record<string, string>,
): Promise<GitOpsDone> {
  const suspend = async (instead?: string): Promise<GitOpsDone> => {
    const owner = (step as { owner: GitOpsOwner }).owner;
    try {
      const record = await suspendOwner(kube, owner);
      annotations[GITOPS_MODE_ANNOTATION] = 'suspend';
      annotations[GITOPS_SUSPENDED_ANNOTATION] = JSON.stringify(record);
      return {
        gitops: { mode: 'suspend', suspended: describeOwner(owner), ...(instead && { fallbackFrom: 'commit', commitProblem: instead }) },
        summary: ` after suspending ${describeOwner(owner)}`,
        warnings: instead ? [`could not commit, suspended instead (GITOPS_FALLBACK=suspend): ${instead}`] : [],
      };
    } catch (error) {
      if (!(error instanceof GitOpsStepFailed)) throw error;
      return {
        gitops: { mode: 'suspend', suspended: null },
        summary: '',
        warnings: instead ? [`could not commit: ${instead}`] : [],
        failure: { reason: 'gitops-suspend-failed', message: error.message },
      };
    }
  };
  switch (step.mode) {
    case 'none':
    case 'warn':
      return { summary: '', warnings: [] };
    case 'unable':
      return {
        gitops: { mode: 'commit', commit: null, problem: step.why },
        summary: '',
        warnings: [],
        failure: { reason: 'gitops-commit-failed', message: `could not commit: ${step.why}` },
      };
    case 'suspend':
      return suspend(step.instead);
    case 'commit':
      try {
        const record = await commitZeroReplicas(step.source, settings, workload, alert, replicas);
        const { attempts, ...stored } = record;
        annotations[GITOPS_MODE_ANNOTATION] = 'commit';
        annotations[GITOPS_COMMIT_ANNOTATION] = JSON.stringify(stored);
        return {
          gitops: {
            mode: 'commit',
            commit: record.sha,
            repository: record.url,
            branch: record.branch,
            file: record.file,
            edit: record.how,
            pushAttempts: attempts,
          },
          commit: record,
          summary: `; commit ${record.sha.slice(0, 12)} in ${record.url} (${record.branch}: ${record.file}) sets 0 replicas`,
          warnings: [],
        };
      } catch (error) {
        if (!(error instanceof GitFailure)) throw error;
        const problem = `${error.message} [${error.kind}]`;
        if (settings.gitOpsFallback === 'suspend') return suspend(problem);
        return {
          gitops: { mode: 'commit', commit: null, problem, failure: error.kind },
          summary: '',
          warnings: [],
          failure: { reason: 'gitops-commit-failed', message: `could not commit: ${problem}` },
        };
      }
  }
}

/** Permissions each mode adds, beyond the scale itself; commit mode's fallback suspends. */
export function gitOpsRbacRules(mode: GitOpsMode, fallback: ScaleToZeroSettings['gitOpsFallback']): PolicyRule[] {
  const suspend: PolicyRule[] = [
    { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['patch'] },
    { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: ['patch'] },
    // get: the automated sync policy is read to be put back on restore.
    { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'patch'] },
  ];
  const commit: PolicyRule[] = [
    // get: spec.sourceRef and spec.path; patch: reconcile.fluxcd.io/requestedAt.
    { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['get', 'patch'] },
    // get: the URL and branch, and the revision served; patch: requestedAt.
    { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories'], verbs: ['get', 'patch'] },
  ];
  if (mode === 'suspend') return suspend;
  if (mode === 'commit') return fallback === 'suspend' ? [...commit, ...suspend] : commit;
  return [];
}

const SCALE_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['replicationcontrollers'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['replicationcontrollers/scale'], verbs: ['get', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['patch'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'replicasets/scale', 'statefulsets/scale'], verbs: ['get', 'update'] },
];

/** scale-to-zero configured with its settings; its RBAC rules are those of its GitOps mode. */
export function scaleToZeroSpecWith(settings: ScaleToZeroSettings): ResponseFunctionSpec<'scale-to-zero'> {
  return {
    name: 'scale-to-zero',
    summary: 'Scales the workload owning the pod a Falco alert names to 0 replicas, recording the previous count.',
    deployment: { rules: 'Drop and execute new binary in container', minPriority: 'critical', openFaasCaller: 'webhook-with-token' },
    actionEvent: { reason: 'ScaledToZero', action: 'Scale' },
    rbacRules: [...SCALE_RULES, ...gitOpsRbacRules(settings.gitOpsMode, settings.gitOpsFallback)],
    plan: createPlan(settings),
    settings: {
      declarations: SCALE_TO_ZERO_SETTINGS.declarations,
      configure: (reader) => scaleToZeroSpecWith(SCALE_TO_ZERO_SETTINGS.read(reader)),
    },
  };
}

/** The default (GITOPS_MODE=warn): what the shipped manifests grant. */
export const scaleToZeroSpec = scaleToZeroSpecWith(DEFAULT_SETTINGS);
