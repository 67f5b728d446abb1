// The function settings (README's configuration table) a chart user sets per function, as
// JSON Schema fragments for values.schema.json. Bounds are the ones the functions' own
// config readers enforce (shared/config/*.ts); test/unit/packaging/chart-schema.test.ts
// feeds each bound to readFunctionConfig, so the two cannot drift apart silently.
import { FALCO_PRIORITIES } from '../../shared/alert/priority.ts';
import { LOG_LEVELS } from '../../shared/config/runtime-config.ts';

type Fragment = Record<string, unknown>;

export interface IntegerSetting {
  kind: 'integer';
  min: number;
  max: number;
}
interface OtherSetting {
  kind: 'other';
  schema: Fragment;
}
export type EnvSetting = (IntegerSetting | OtherSetting) & { description: string };

const int = (min: number, max: number, description: string): EnvSetting => ({ kind: 'integer', min, max, description });
const other = (schema: Fragment, description: string): EnvSetting => ({ kind: 'other', schema, description });
const text = { type: 'string', minLength: 1 };
// A comma-separated list, or a YAML list (written as the JSON array the functions also accept).
const list = { oneOf: [text, { type: 'array', items: text, minItems: 1 }] };
// Falco and people spell priorities in any case; "info" is Falco's own short form.
const priorities = [...FALCO_PRIORITIES, 'info'].flatMap((p) => [p, p[0]!.toUpperCase() + p.slice(1), p.toUpperCase()]);

export const ENV_SETTINGS: Record<string, EnvSetting> = {
  DRY_RUN: other({ type: 'boolean' }, 'decide and report everything, change nothing'),
  RULES: other(list, 'rules to act on: exact names, * globs or /regex/'),
  MIN_PRIORITY: other({ enum: priorities }, 'lowest Falco priority acted on'),
  REQUIRED_TAGS: other(list, 'tags the alert must all carry'),
  SOURCES: other(list, 'alert sources acted on, e.g. syscall'),
  MAX_ALERT_AGE_SECONDS: int(0, 30 * 86400, 'older alerts are skipped; 0 turns the check off'),
  MAX_CLOCK_SKEW_SECONDS: int(0, 86400, 'alerts dated further in the future are skipped'),
  PROTECTED_NAMESPACES: other(list, 'never acted in; replaces the default list'),
  SKIP_OWNER_KINDS: other({ oneOf: [text, { type: 'array', items: { enum: ['Standalone', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController', 'Other'] }, minItems: 1 }] }, 'owner kinds not acted on'),
  MIN_READY_REPLICAS: other({ oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(\\d+|(100|\\d{1,2})%)$' }] }, 'delete-pod: ready replicas the owner must keep (2 or 50%)'),
  GRACE_PERIOD_SECONDS: int(0, 86400, 'delete-pod: grace period of the delete'),
  GITOPS_MODE: other({ enum: ['warn', 'suspend', 'commit'] }, 'scale-to-zero: what to do about a workload Flux or Argo CD manages (warn, suspend, commit)'),
  GITOPS_FALLBACK: other({ enum: ['suspend', 'none'] }, 'scale-to-zero, commit mode: suspend the owner when the commit cannot be made, or none'),
  GIT_CREDENTIALS_DIR: other(text, 'scale-to-zero, commit mode: folder of the mounted Secret with the Git token (username + password, or bearerToken)'),
  GIT_AUTHOR_NAME: other(text, 'scale-to-zero, commit mode: commit author name'),
  GIT_AUTHOR_EMAIL: other({ type: 'string', pattern: '^[^\\s<>@]+@[^\\s<>@]+$' }, 'scale-to-zero, commit mode: commit author e-mail'),
  GITOPS_ARGOCD_NAMESPACE: other({ type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }, 'scale-to-zero: namespace of the Argo CD Applications'),
  MAX_ACTIONS: int(0, 1_000_000, 'blast-radius limit: actions per window per instance'),
  ACTIONS_WINDOW_SECONDS: int(1, 86400, 'the blast-radius window'),
  DEDUPE_WINDOW_SECONDS: int(0, 86400, 'how long a handled target is remembered'),
  DEDUPE_MAX_ENTRIES: int(1, 1_000_000, 'cap of the dedupe memory, in entries'),
  DEDUPE_MAX_BYTES: int(64 * 1024, 1024 * 1024 * 1024, 'cap of the dedupe memory, in bytes'),
  KUBE_TIMEOUT_MS: int(100, 120_000, 'timeout of every Kubernetes API call'),
  KUBE_RETRIES: int(1, 10, 'attempts for calls that failed with 429/5xx/timeouts'),
  AUTH_HEADER: other({ type: 'string', pattern: '^[A-Za-z0-9-]+$' }, 'a header that may carry the token'),
  AUTH_CE_EXTENSION: other({ type: 'string', pattern: '^[a-z0-9]+$' }, 'CloudEvent extension that may carry the token'),
  CLOUDEVENT_REPLY: other({ enum: ['event', 'empty'] }, 'reply to CloudEvents with a decision event, or empty'),
  BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024, 'largest request body'),
  MAX_IN_FLIGHT: int(1, 100_000, 'alerts handled at once; beyond it 429'),
  REQUEST_TIMEOUT_MS: int(100, 600_000, 'headers and body must have arrived within this'),
  KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000, 'an idle keep-alive connection is closed after this'),
  METRICS_AUTH: other({ enum: ['open', 'token'] }, 'who reads GET /metrics'),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 3600, 'on SIGTERM, how long in-flight alerts may take'),
  BUDGET: other({ enum: ['cluster', 'off'] }, 'the cluster-wide action budget (a Lease every instance shares), or off'),
  BUDGET_LEASE: other({ type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }, "the budget's Lease"),
  BUDGET_NAMESPACE: other({ type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }, "where the budget's Lease is"),
  BUDGET_MAX_ACTIONS: int(0, 200, 'actions per window cluster-wide'),
  BUDGET_WINDOW_SECONDS: int(1, 86400, "the budget's window"),
  CLUSTER_NAME: other({ type: 'string', minLength: 1 }, 'act only on alerts stamped with this cluster'),
  CLUSTER_FIELD: other({ type: 'string', minLength: 1, maxLength: 256 }, 'the output_fields key that names the cluster'),
  ALLOW_ALERTS_WITHOUT_CLUSTER: other({ type: 'boolean' }, 'with CLUSTER_NAME, still act on alerts naming no cluster'),
  LOG_BUFFER_BYTES: int(64 * 1024, 1024 * 1024 * 1024, 'log bytes that may wait for a slow stdout before lines are dropped and counted'),
  LOG_LEVEL: other({ enum: [...LOG_LEVELS] }, 'log level'),
  UNSELECTED_LOG_LEVEL: other({ enum: ['info', 'debug'] }, 'level of the decision line for alerts the function is not configured for'),
};

/**
 * README variables the chart sets itself or that do not belong in a chart: the platform sets
 * the port and address, the chart wires the token from its Secret, Knative probes over HTTP.
 */
export const ENV_SET_BY_CHART: Record<string, string> = {
  PORT: 'set by Knative / the OpenFaaS watchdog contract (8080)',
  HOST: 'the pod listens on all addresses',
  POD_NAMESPACE: 'read from the mounted ServiceAccount',
  AUTH_TOKEN: 'from the token Secret (auth.*)',
  AUTH_TOKEN_FILE: 'OpenFaaS: stack.yml mounts the Secret',
  LOCK_FILE: 'Knative probes over HTTP: empty, so the root filesystem stays read-only',
};

export function envSchema(): Fragment {
  const properties: Record<string, Fragment> = {};
  for (const [name, setting] of Object.entries(ENV_SETTINGS)) {
    properties[name] = setting.kind === 'integer' ? { type: 'integer', minimum: setting.min, maximum: setting.max, description: setting.description } : { ...setting.schema, description: setting.description };
  }
  return { type: 'object', additionalProperties: false, properties };
}
