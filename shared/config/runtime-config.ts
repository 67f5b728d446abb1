// Settings of the HTTP runtime itself (transport, auth, limits), shared by every function.
import { EnvReader, type Env } from './env-reader.ts';

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
  /** Reply to CloudEvent requests with a decision event (a Knative Broker routes it on), or an empty body. */
  cloudEventReplies: 'event' | 'empty';
}

export function readRuntimeConfig(reader: EnvReader): RuntimeConfig {
  const inline = reader.optionalString('AUTH_TOKEN');
  const fromFile = reader.secretFile('AUTH_TOKEN_FILE');
  if (inline !== undefined && reader.raw('AUTH_TOKEN_FILE') !== undefined) {
    reader.problem('AUTH_TOKEN and AUTH_TOKEN_FILE are both set: set one');
  }
  // A secret file with only whitespace would silently turn authentication off: refuse instead.
  if (fromFile !== undefined && fromFile.trim() === '') {
    reader.problem(`AUTH_TOKEN_FILE=${JSON.stringify(reader.raw('AUTH_TOKEN_FILE'))}: the file is empty; refusing to run without the token it should hold`);
  }
  if (reader.isSetButBlank('AUTH_TOKEN')) {
    reader.problem('AUTH_TOKEN is set but blank; refusing to run open (unset it to turn authentication off)');
  }
  const authToken = inline ?? fromFile?.trim();
  const extension = reader.string('AUTH_CE_EXTENSION', 'authtoken').toLowerCase();
  if (!/^[a-z0-9]{1,20}$/.test(extension)) {
    reader.problem(`AUTH_CE_EXTENSION=${JSON.stringify(extension)}: CloudEvent extension names are lowercase letters and digits`);
  }
  const header = reader.string('AUTH_HEADER', 'x-falco-response-token').toLowerCase();
  if (!/^[a-z0-9-]+$/.test(header)) reader.problem(`AUTH_HEADER=${JSON.stringify(header)}: not a header name`);
  const metricsAuth = reader.oneOf('METRICS_AUTH', ['open', 'token'] as const, 'open');
  if (metricsAuth === 'token' && authToken === undefined) reader.problem('METRICS_AUTH=token needs AUTH_TOKEN or AUTH_TOKEN_FILE');
  // Unset: OpenFaaS's default path; set to an empty value: no lock file.
  const lockFile = reader.isSetButBlank('LOCK_FILE') ? undefined : reader.string('LOCK_FILE', '/tmp/.lock');
  return {
    port: reader.integer('PORT', 8080, { min: 0, max: 65535 }),
    host: reader.string('HOST', '0.0.0.0'),
    bodyLimitBytes: reader.integer('BODY_LIMIT_BYTES', 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    maxInFlight: reader.integer('MAX_IN_FLIGHT', 64, { min: 1, max: 100000 }),
    authToken,
    authHeader: header,
    authExtension: extension,
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    unselectedLogLevel: reader.oneOf('UNSELECTED_LOG_LEVEL', ['info', 'debug'] as const, 'info'),
    lockFile,
    shutdownTimeoutMs: reader.integer('SHUTDOWN_TIMEOUT_SECONDS', 25, { min: 1, max: 3600 }) * 1000,
    requestTimeoutMs: reader.integer('REQUEST_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    keepAliveTimeoutMs: reader.integer('KEEP_ALIVE_TIMEOUT_MS', 72_000, { min: 1000, max: 600_000 }),
    logBufferBytes: reader.integer('LOG_BUFFER_BYTES', 4 * 1024 * 1024, { min: 64 * 1024, max: 1024 * 1024 * 1024 }),
    metricsAuth,
    cloudEventReplies: reader.oneOf('CLOUDEVENT_REPLY', ['event', 'empty'] as const, 'event'),
  };
}

export function runtimeConfigFromEnv(env: Env): RuntimeConfig {
  const reader = new EnvReader(env);
  const config = readRuntimeConfig(reader);
  reader.throwIfProblems();
  return config;
}
