// Settings of the decision pipeline every function runs (docs/configuration.md is generated
// from these declarations): which alerts it acts on, the guard rails before any write, the
// dedupe memory, the per-instance limit and the cluster-wide action budget.
import { readFileSync } from 'node:fs';
import { FALCO_PRIORITIES, normalizePriority, type FalcoPriority } from '../alert/priority.ts';
import type { EnvReader } from '../config/env-reader.ts';
import { setting, settingsGroup } from '../config/setting.ts';
import { DEFAULT_BUDGET_LEASE, MAX_BUDGET_ACTIONS } from '../coordination/action-budget.ts';
import type { AlertSelection } from '../guards/alert-match.ts';
import type { ClusterGuard } from '../guards/cluster.ts';
import { OWNER_KINDS, type OwnerKind } from '../guards/owner.ts';
import { compileNamePattern, compileRulePattern, type RulePattern } from '../guards/rule-pattern.ts';
import type { NamespaceProtection } from '../guards/target.ts';

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

export interface PipelineSettings extends AlertSelection, ClusterGuard, NamespaceProtection {
  dryRun: boolean;
  /** Alerts older than this are skipped (replays, late retries); 0 turns the check off. */
  maxAlertAgeSeconds: number;
  /** Alerts dated further than this in the future are skipped (a wrong clock or a forged time). */
  maxClockSkewSeconds: number;
  skipOwnerKinds: OwnerKind[];
  maxActionsPerWindow: number;
  actionWindowSeconds: number;
  dedupeWindowSeconds: number;
  dedupeMaxEntries: number;
  /** Estimated bytes the dedupe memory may hold (its keys come from alerts). */
  dedupeMaxBytes: number;
  /** The cluster-wide action budget every instance of every function shares (a Lease), or off. */
  budget: { lease: string; namespace: string | undefined; maxActions: number; windowSeconds: number } | undefined;
}

function readRules(reader: EnvReader): RulePattern[] {
  const rules: RulePattern[] = [];
  for (const source of reader.list('RULES', ['*'])) {
    try {
      rules.push(compileRulePattern(source));
    } catch (error) {
      reader.problem(`RULES: ${JSON.stringify(source)} is not a valid pattern (${(error as Error).message})`);
    }
  }
  return rules;
}

function readMinPriority(reader: EnvReader): FalcoPriority {
  const text = reader.string('MIN_PRIORITY', 'notice');
  const priority = normalizePriority(text);
  if (!priority)
    reader.problem(
      `MIN_PRIORITY=${JSON.stringify(text)}: expected one of emergency, alert, critical, error, warning, notice, informational, debug`,
    );
  return priority ?? 'notice';
}

function readSkipOwnerKinds(reader: EnvReader): OwnerKind[] {
  const kinds: OwnerKind[] = [];
  for (const kind of reader.list('SKIP_OWNER_KINDS', [])) {
    const known = OWNER_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase());
    if (known) kinds.push(known);
    else reader.problem(`SKIP_OWNER_KINDS: unknown kind ${JSON.stringify(kind)} (known: ${OWNER_KINDS.join(', ')})`);
  }
  return kinds;
}

function readOwnNamespace(reader: EnvReader): string | undefined {
  const explicit = reader.optionalString('POD_NAMESPACE');
  if (explicit) return explicit.toLowerCase();
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim().toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const NAME_PATTERNS = { kind: 'list' } as const;
// Falco and people spell priorities in any case; "info" is Falco's own short form.
const PRIORITY_SPELLINGS = [...FALCO_PRIORITIES, 'info'].flatMap((p) => [p, p[0]!.toUpperCase() + p.slice(1), p.toUpperCase()]);

export const PIPELINE_SETTINGS = settingsGroup(
  {
    dryRun: setting.boolean('DRY_RUN', false, 'decide and report everything, change nothing (forced on when no cluster credentials exist)'),
    rules: setting.custom(
      'RULES',
      '`*`',
      'rules to act on: comma-separated exact names, `*` globs or `/regex/` (a JSON array for names with commas)',
      { kind: 'list' },
      readRules,
    ),
    minPriority: setting.custom(
      'MIN_PRIORITY',
      '`notice`',
      'lowest Falco priority acted on (emergency … debug, any case)',
      { kind: 'enum', values: PRIORITY_SPELLINGS },
      readMinPriority,
    ),
    requiredTags: setting.list('REQUIRED_TAGS', [], '(none)', 'tags the alert must all carry'),
    sources: setting.list('SOURCES', [], '(any)', 'alert sources acted on, e.g. `syscall`'),
    maxAlertAgeSeconds: setting.integer(
      'MAX_ALERT_AGE_SECONDS',
      600,
      { min: 0, max: 30 * 86400 },
      'older alerts are skipped; `0` turns the check off (and the future check below)',
    ),
    maxClockSkewSeconds: setting.integer(
      'MAX_CLOCK_SKEW_SECONDS',
      300,
      { min: 0, max: 86400 },
      'alerts dated further than this in the future are skipped (`alert-from-future`: a wrong clock or a forged time)',
    ),
    // Namespace names are lower case: an entry written "Kube-System" still means kube-system.
    protectedNamespaces: setting.custom(
      'PROTECTED_NAMESPACES',
      DEFAULT_PROTECTED_NAMESPACES.join(', '),
      "never acted in (names or `*` globs); replaces the default list; the function's own namespace is always added",
      NAME_PATTERNS,
      (r) => r.list('PROTECTED_NAMESPACES', DEFAULT_PROTECTED_NAMESPACES).map((name) => compileNamePattern(name.toLowerCase())),
    ),
    ownNamespace: setting.custom(
      'POD_NAMESPACE',
      "the ServiceAccount's namespace",
      "the function's own namespace; leave unset in a pod (the mounted ServiceAccount namespace is used; Knative turns the downward API's fieldRef off by default)",
      { kind: 'text', pattern: DNS_LABEL },
      readOwnNamespace,
    ),
    skipOwnerKinds: setting.custom(
      'SKIP_OWNER_KINDS',
      '(none)',
      'owner kinds not acted on: Standalone, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicationController, Other',
      { kind: 'list', items: OWNER_KINDS },
      readSkipOwnerKinds,
    ),
    maxActionsPerWindow: setting.integer(
      'MAX_ACTIONS',
      10,
      { min: 0, max: 1_000_000 },
      'blast-radius limit: actions per window per instance',
    ),
    actionWindowSeconds: setting.integer('ACTIONS_WINDOW_SECONDS', 60, { min: 1, max: 86400 }, 'the blast-radius window'),
    budgetMode: setting.oneOf(
      'BUDGET',
      ['cluster', 'off'],
      'cluster',
      '`cluster`: every action first takes a slot of the cluster-wide action budget (a Lease shared by every instance of every function; see [the action budget](#the-action-budget)); `off`: only the per-instance `MAX_ACTIONS`',
    ),
    budgetLease: setting.text(
      'BUDGET_LEASE',
      DEFAULT_BUDGET_LEASE,
      "the budget's Lease; `falco-response-budget-<function>` (shipped too) gives a function a budget of its own",
      { pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, problem: 'not a Lease name' },
    ),
    budgetNamespace: setting.custom(
      'BUDGET_NAMESPACE',
      "the function's own namespace",
      'where the Lease is',
      { kind: 'text', pattern: DNS_LABEL },
      (r) => r.optionalString('BUDGET_NAMESPACE')?.toLowerCase(),
    ),
    budgetMaxActions: setting.integer(
      'BUDGET_MAX_ACTIONS',
      10,
      { min: 0, max: MAX_BUDGET_ACTIONS },
      'actions per window cluster-wide, for all instances sharing the Lease (0–200)',
    ),
    budgetWindowSeconds: setting.integer(
      'BUDGET_WINDOW_SECONDS',
      60,
      { min: 1, max: 86400 },
      "the budget's window: a slot frees itself this long after it was taken",
    ),
    clusterName: setting.optionalText(
      'CLUSTER_NAME',
      '(off)',
      "act only on alerts whose `output_fields[CLUSTER_FIELD]` equals this (Falcosidekick's `CUSTOMFIELDS=cluster:<name>`); others are `skipped: other-cluster`",
    ),
    clusterField: setting.text('CLUSTER_FIELD', 'cluster', 'the `output_fields` key that names the cluster', {
      pattern: /^[\s\S]+$/,
      problem: 'longer than an output_fields key may be (256)',
      maxLength: 256,
    }),
    allowAlertsWithoutCluster: setting.boolean(
      'ALLOW_ALERTS_WITHOUT_CLUSTER',
      false,
      'with `CLUSTER_NAME` set, still act on alerts that name no cluster (otherwise `skipped: no-cluster-field`)',
    ),
    dedupeWindowSeconds: setting.integer(
      'DEDUPE_WINDOW_SECONDS',
      300,
      { min: 0, max: 86400 },
      'how long a handled target is remembered (`0`: not at all)',
    ),
    dedupeMaxEntries: setting.integer('DEDUPE_MAX_ENTRIES', 10_000, { min: 1, max: 1_000_000 }, 'cap of the dedupe memory, in entries'),
    dedupeMaxBytes: setting.integer(
      'DEDUPE_MAX_BYTES',
      8 * 1024 * 1024,
      { min: 64 * 1024, max: 1024 * 1024 * 1024 },
      'cap of the dedupe memory, in (estimated) bytes: its keys come from alerts; the oldest entries go first',
    ),
  },
  ({ budgetMode, budgetLease, budgetNamespace, budgetMaxActions, budgetWindowSeconds, ...values }): PipelineSettings => ({
    ...values,
    budget:
      budgetMode === 'off'
        ? undefined
        : {
            lease: budgetLease,
            namespace: budgetNamespace ?? values.ownNamespace,
            maxActions: budgetMaxActions,
            windowSeconds: budgetWindowSeconds,
          },
  }),
);

export function readPipelineSettings(reader: EnvReader): PipelineSettings {
  return PIPELINE_SETTINGS.read(reader);
}
