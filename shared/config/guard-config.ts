// Settings of the guard rails applied before any action, shared by every function.
import { readFileSync } from 'node:fs';
import { normalizePriority, type FalcoPriority } from '../alert/priority.ts';
import { compileNamePattern, compileRulePattern, type RulePattern } from '../guards/rule-pattern.ts';
import type { EnvReader } from './env-reader.ts';

export const DEFAULT_PROTECTED_NAMESPACES = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'falco',
  'openfaas',
  'openfaas-fn',
  'knative-serving',
  'knative-eventing',
] as const;

export const OWNER_KINDS = ['Standalone', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController', 'Other'] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

export interface GuardConfig {
  dryRun: boolean;
  rules: RulePattern[];
  minPriority: FalcoPriority;
  requiredTags: string[];
  sources: string[];
  /** Alerts older than this are skipped (replays, late retries); 0 turns the check off. */
  maxAlertAgeSeconds: number;
  protectedNamespaces: RulePattern[];
  /** The namespace this function runs in: always protected. */
  ownNamespace: string | undefined;
  skipOwnerKinds: OwnerKind[];
  /** delete-pod: ready replicas the owner must keep, as a count or a percentage of desired replicas. */
  minReadyReplicas: { count: number } | { percent: number } | undefined;
  gracePeriodSeconds: number | undefined;
  maxActionsPerWindow: number;
  actionWindowSeconds: number;
  dedupeWindowSeconds: number;
  dedupeMaxEntries: number;
  /** Estimated bytes the dedupe memory may hold (its keys come from alerts). */
  dedupeMaxBytes: number;
  /** Alerts dated further than this in the future are skipped (a wrong clock or a forged time). */
  maxClockSkewSeconds: number;
  kubeTimeoutMs: number;
  kubeRetries: number;
  /** The cluster-wide action budget every instance of every function shares (a Lease), or off. */
  budget: { lease: string; namespace: string | undefined; maxActions: number; windowSeconds: number } | undefined;
  /** Act only on alerts stamped with this cluster (Falcosidekick's CUSTOMFIELDS); undefined: off. */
  clusterName: string | undefined;
  /** The output_fields key that names the cluster. */
  clusterField: string;
  /** With CLUSTER_NAME set, whether an alert that names no cluster is still acted on. */
  allowAlertsWithoutCluster: boolean;
}

export const DEFAULT_BUDGET_LEASE = 'falco-response-budget';
/** The Lease of one function's own budget (BUDGET_LEASE=falco-response-budget-<fn>, the per-function option). */
export const functionBudgetLease = (fn: string) => `${DEFAULT_BUDGET_LEASE}-${fn}`;
// Each slot takes up to ~900 bytes (two names of up to 253 characters) of one annotation, and
// all of an object's annotations together may hold 256 KiB.
const MAX_BUDGET_ACTIONS = 200;

function readBudget(reader: EnvReader, ownNamespace: string | undefined): GuardConfig['budget'] {
  const mode = reader.oneOf('BUDGET', ['cluster', 'off'] as const, 'cluster');
  const lease = reader.string('BUDGET_LEASE', DEFAULT_BUDGET_LEASE);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(lease)) reader.problem(`BUDGET_LEASE=${JSON.stringify(lease)}: not a Lease name`);
  const namespace = reader.optionalString('BUDGET_NAMESPACE')?.toLowerCase() ?? ownNamespace;
  const maxActions = reader.integer('BUDGET_MAX_ACTIONS', 10, { min: 0, max: MAX_BUDGET_ACTIONS });
  const windowSeconds = reader.integer('BUDGET_WINDOW_SECONDS', 60, { min: 1, max: 86400 });
  return mode === 'off' ? undefined : { lease, namespace, maxActions, windowSeconds };
}

function readOwnNamespace(reader: EnvReader): string | undefined {
  const explicit = reader.optionalString('POD_NAMESPACE');
  if (explicit) return explicit;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function readMinReady(reader: EnvReader): GuardConfig['minReadyReplicas'] {
  const value = reader.optionalString('MIN_READY_REPLICAS');
  if (value === undefined) return undefined;
  const percent = /^(\d{1,3})%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(value)) return { count: Number(value) };
  reader.problem(`MIN_READY_REPLICAS=${JSON.stringify(value)}: expected a count (2) or a percentage (50%)`);
  return undefined;
}

export function readGuardConfig(reader: EnvReader): GuardConfig {
  const rules: RulePattern[] = [];
  for (const source of reader.list('RULES', ['*'])) {
    try {
      rules.push(compileRulePattern(source));
    } catch (error) {
      reader.problem(`RULES: ${JSON.stringify(source)} is not a valid pattern (${(error as Error).message})`);
    }
  }
  const priorityText = reader.string('MIN_PRIORITY', 'notice');
  const minPriority = normalizePriority(priorityText);
  if (!minPriority) reader.problem(`MIN_PRIORITY=${JSON.stringify(priorityText)}: expected one of emergency, alert, critical, error, warning, notice, informational, debug`);
  const skipOwnerKinds: OwnerKind[] = [];
  for (const kind of reader.list('SKIP_OWNER_KINDS', [])) {
    const known = OWNER_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase());
    if (known) skipOwnerKinds.push(known);
    else reader.problem(`SKIP_OWNER_KINDS: unknown kind ${JSON.stringify(kind)} (known: ${OWNER_KINDS.join(', ')})`);
  }
  const grace = reader.optionalString('GRACE_PERIOD_SECONDS');
  const ownNamespace = readOwnNamespace(reader)?.toLowerCase();
  const clusterField = reader.string('CLUSTER_FIELD', 'cluster');
  if (clusterField.length > 256) reader.problem('CLUSTER_FIELD: longer than an output_fields key may be (256)');
  return {
    dryRun: reader.boolean('DRY_RUN', false),
    rules,
    minPriority: minPriority ?? 'notice',
    requiredTags: reader.list('REQUIRED_TAGS', []),
    sources: reader.list('SOURCES', []),
    maxAlertAgeSeconds: reader.integer('MAX_ALERT_AGE_SECONDS', 600, { min: 0, max: 30 * 86400 }),
    // Namespace names are lower case: an entry written "Kube-System" still means kube-system.
    protectedNamespaces: reader.list('PROTECTED_NAMESPACES', DEFAULT_PROTECTED_NAMESPACES).map((name) => compileNamePattern(name.toLowerCase())),
    ownNamespace,
    skipOwnerKinds,
    minReadyReplicas: readMinReady(reader),
    gracePeriodSeconds: grace === undefined ? undefined : reader.integer('GRACE_PERIOD_SECONDS', 30, { min: 0, max: 86400 }),
    maxActionsPerWindow: reader.integer('MAX_ACTIONS', 10, { min: 0, max: 1_000_000 }),
    actionWindowSeconds: reader.integer('ACTIONS_WINDOW_SECONDS', 60, { min: 1, max: 86400 }),
    dedupeWindowSeconds: reader.integer('DEDUPE_WINDOW_SECONDS', 300, { min: 0, max: 86400 }),
    dedupeMaxEntries: reader.integer('DEDUPE_MAX_ENTRIES', 10_000, { min: 1, max: 1_000_000 }),
    dedupeMaxBytes: reader.integer('DEDUPE_MAX_BYTES', 8 * 1024 * 1024, { min: 64 * 1024, max: 1024 * 1024 * 1024 }),
    maxClockSkewSeconds: reader.integer('MAX_CLOCK_SKEW_SECONDS', 300, { min: 0, max: 86400 }),
    kubeTimeoutMs: reader.integer('KUBE_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }),
    kubeRetries: reader.integer('KUBE_RETRIES', 3, { min: 1, max: 10 }),
    budget: readBudget(reader, ownNamespace),
    clusterName: reader.optionalString('CLUSTER_NAME'),
    clusterField,
    allowAlertsWithoutCluster: reader.boolean('ALLOW_ALERTS_WITHOUT_CLUSTER', false),
  };
}
