// Settings of the HTTP runtime itself (transport, auth, limits), shared by every function;
// docs/configuration.md is generated from these declarations.
import { EnvReader, type Env } from './env-reader.ts';
import { setting, settingsGroup } from './setting.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface RuntimeConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
  /** Alerts being handled at once; beyond it the answer is 429 with Retry-After. */
  maxInFlight: number;
  /** The shared token callers must present, or undefined when authentication is off. */
  authToken: string | undefined;
  /** Extra header that may carry the token (besides `Authorization: Bearer` and the CloudEvent extension). */
  authHeader: string;
  /** CloudEvent extension attribute that may carry the token (Falcosidekick's cloudevents.extensions). */
  authExtension: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Level of the decision line for alerts the function is not configured for (RULES, MIN_PRIORITY, TAGS, SOURCES). */
  unselectedLogLevel: 'info' | 'debug';
  /** Those alerts as one summary line per rule and reason per interval, or one line each. */
  unselectedLog: 'summary' | 'each';
  unselectedLogIntervalMs: number;
  /** OpenFaaS's exec probe looks for this file once the server listens; empty disables it. */
  lockFile: string | undefined;
  shutdownTimeoutMs: number;
  /** Headers and body must have arrived within this (Node answers 408 and closes the connection). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Log bytes that may wait for a slow stdout before lines are dropped (and counted). */
  logBufferBytes: number;
  /** Who may read /metrics: anyone who reaches the port, or only callers with the token. */
  metricsAuth: 'open' | 'token';
  /** Reply to CloudEvent requests with a decision event, or an empty body. */
  cloudEventReplies: 'event' | 'empty';
}

/** The token, inline or from a file; set but blank refuses to start rather than run open. */
function readInlineToken(reader: EnvReader): string | undefined {
  if (reader.isSetButBlank('AUTH_TOKEN'))
    reader.problem('AUTH_TOKEN is set but blank; refusing to run open (unset it to turn authentication off)');
  return reader.optionalString('AUTH_TOKEN');
}

function readTokenFile(reader: EnvReader): { path: string; token: string | undefined } | undefined {
  const contents = reader.secretFile('AUTH_TOKEN_FILE');
  const path = reader.raw('AUTH_TOKEN_FILE');
  if (path === undefined) return undefined;
  // A secret file with only whitespace would silently turn authentication off: refuse instead.
  if (contents !== undefined && contents.trim() === '') {
    reader.problem(`AUTH_TOKEN_FILE=${JSON.stringify(path)}: the file is empty; refusing to run without the token it should hold`);
  }
  return { path, token: contents?.trim() };
}

// Unset: OpenFaaS's default path; set to an empty value: no lock file.
const readLockFile = (reader: EnvReader) => (reader.isSetButBlank('LOCK_FILE') ? undefined : reader.string('LOCK_FILE', '/tmp/.lock'));

export const RUNTIME_SETTINGS = settingsGroup(
  {
    authToken: setting.custom('AUTH_TOKEN', '(off)', 'shared token callers must present', { kind: 'text' }, readInlineToken),
    authTokenFile: setting.custom(
      'AUTH_TOKEN_FILE',
      '(off)',
      'the token from a file, e.g. `/var/openfaas/secrets/falco-response-token`; an empty file refuses to start',
      { kind: 'text' },
      readTokenFile,
    ),
    authHeader: setting.text(
      'AUTH_HEADER',
      'x-falco-response-token',
      'a header that may carry the token (besides `Authorization: Bearer`)',
      { pattern: /^[A-Za-z0-9-]+$/, problem: 'not a header name' },
    ),
    authExtension: setting.text('AUTH_CE_EXTENSION', 'authtoken', 'CloudEvent extension that may carry the token (`Ce-Authtoken`)', {
      pattern: /^[A-Za-z0-9]{1,20}$/,
      problem: 'CloudEvent extension names are lowercase letters and digits',
    }),
    port: setting.integer('PORT', 8080, { min: 0, max: 65535 }, 'listening port (Knative sets it)'),
    host: setting.text('HOST', '0.0.0.0', 'listening address'),
    bodyLimitBytes: setting.integer('BODY_LIMIT_BYTES', 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }, 'largest request body'),
    maxInFlight: setting.integer(
      'MAX_IN_FLIGHT',
      64,
      { min: 1, max: 100000 },
      'alerts handled at once (only requests that passed authentication and parsing count); beyond it 429 with `Retry-After`',
    ),
    requestTimeoutMs: setting.integer(
      'REQUEST_TIMEOUT_MS',
      10_000,
      { min: 100, max: 600_000 },
      'headers and body must have arrived within this, or the connection gets 408 and is closed',
    ),
    keepAliveTimeoutMs: setting.integer(
      'KEEP_ALIVE_TIMEOUT_MS',
      72_000,
      { min: 1000, max: 600_000 },
      'an idle keep-alive connection is closed after this (longer than the usual 60 s of proxies in front)',
    ),
    cloudEventReplies: setting.oneOf(
      'CLOUDEVENT_REPLY',
      ['event', 'empty'],
      'event',
      'reply to CloudEvents with a decision event, or `empty`',
    ),
    metricsAuth: setting.oneOf(
      'METRICS_AUTH',
      ['open', 'token'],
      'open',
      'who reads `GET /metrics`: `open` (anyone who reaches the port) or `token` (the same token as alerts, `Authorization: Bearer`)',
    ),
    lockFile: setting.custom(
      'LOCK_FILE',
      '`/tmp/.lock`',
      'written once listening (OpenFaaS exec probe); set empty to disable',
      { kind: 'text' },
      readLockFile,
    ),
    shutdownTimeoutSeconds: setting.integer(
      'SHUTDOWN_TIMEOUT_SECONDS',
      25,
      { min: 1, max: 3600 },
      'on SIGTERM, how long in-flight alerts may take',
    ),
    logBufferBytes: setting.integer(
      'LOG_BUFFER_BYTES',
      4 * 1024 * 1024,
      { min: 64 * 1024, max: 1024 * 1024 * 1024 },
      'log bytes that may wait for a slow stdout; beyond it lines are dropped and counted (`falco_response_log_lines_dropped_total`) instead of growing the heap',
    ),
    logLevel: setting.oneOf('LOG_LEVEL', LOG_LEVELS, 'info', 'fatal, error, warn, info, debug, trace, silent'),
    unselectedLogLevel: setting.oneOf(
      'UNSELECTED_LOG_LEVEL',
      ['info', 'debug'],
      'info',
      '`info` or `debug`: the level of the lines for alerts the function is not configured for (`RULES`, `MIN_PRIORITY`, `REQUIRED_TAGS`, `SOURCES`), summaries or one each',
    ),
    unselectedLog: setting.oneOf(
      'UNSELECTED_LOG',
      ['summary', 'each'],
      'summary',
      '`summary`: alerts the function is not configured for are logged as one line per rule and reason every `UNSELECTED_LOG_INTERVAL_SECONDS`, with their exact count (a Falco that forwards everything sends every function every alert); `each`: one decision line per alert',
    ),
    unselectedLogIntervalSeconds: setting.integer(
      'UNSELECTED_LOG_INTERVAL_SECONDS',
      60,
      { min: 1, max: 3600 },
      'how often the summary lines of `UNSELECTED_LOG=summary` are written (and once more on shutdown)',
    ),
  },
  (
    { authToken: inline, authTokenFile, authHeader, authExtension, shutdownTimeoutSeconds, unselectedLogIntervalSeconds, ...values },
    reader,
  ): RuntimeConfig => {
    if (inline !== undefined && authTokenFile !== undefined) reader.problem('AUTH_TOKEN and AUTH_TOKEN_FILE are both set: set one');
    const authToken = inline ?? authTokenFile?.token;
    if (values.metricsAuth === 'token' && authToken === undefined) reader.problem('METRICS_AUTH=token needs AUTH_TOKEN or AUTH_TOKEN_FILE');
    return {
      ...values,
      authToken,
      authHeader: authHeader.toLowerCase(),
      authExtension: authExtension.toLowerCase(),
      shutdownTimeoutMs: shutdownTimeoutSeconds * 1000,
      unselectedLogIntervalMs: unselectedLogIntervalSeconds * 1000,
    };
  },
);

export function readRuntimeConfig(reader: EnvReader): RuntimeConfig {
  return RUNTIME_SETTINGS.read(reader);
}

export function runtimeConfigFromEnv(env: Env): RuntimeConfig {
  const reader = new EnvReader(env);
  const config = readRuntimeConfig(reader);
  reader.throwIfProblems();
  return config;
}
