// The few kinds of Kubernetes API failure a handler must tell apart.
export type KubeErrorKind = 'not-found' | 'forbidden' | 'conflict' | 'invalid' | 'unavailable' | 'unauthorized' | 'unknown';

export class KubeError extends Error {
  readonly kind: KubeErrorKind;
  readonly status: number | undefined;
  /** The API server's Status.reason, e.g. "AlreadyExists", "Conflict", "NotFound". */
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly operation: string;
  constructor(init: {
    kind: KubeErrorKind;
    status?: number;
    reason?: string;
    message: string;
    retryAfterSeconds?: number;
    operation: string;
  }) {
    super(`${init.operation}: ${init.message}`);
    this.kind = init.kind;
    this.status = init.status;
    this.reason = init.reason;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.operation = init.operation;
  }
}

function kindForStatus(status: number): KubeErrorKind {
  if (status === 404) return 'not-found';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'unknown';
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { retryAfterSeconds?: number };
}

function parseStatusBody(body: unknown): StatusBody {
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string') return {};
  try {
    return JSON.parse(body) as StatusBody;
  } catch {
    return { message: body.slice(0, 300) };
  }
}

/** Maps anything client-node throws (ApiException, fetch errors, aborts) to a KubeError. */
export function toKubeError(error: unknown, operation: string): KubeError {
  if (error instanceof KubeError) return error;
  const candidate = error as {
    code?: unknown;
    body?: unknown;
    headers?: Record<string, string>;
    name?: string;
    message?: string;
    cause?: { code?: string };
  };
  if (typeof candidate.code === 'number' && candidate.code >= 100) {
    const status = candidate.code;
    const body = parseStatusBody(candidate.body);
    const header = Number(candidate.headers?.['retry-after']);
    return new KubeError({
      kind: kindForStatus(status),
      status,
      reason: body.reason,
      message: body.message ?? `HTTP ${status}`,
      retryAfterSeconds: body.details?.retryAfterSeconds ?? (Number.isFinite(header) ? header : undefined),
      operation,
    });
  }
  const timedOut = candidate.name === 'TimeoutError' || candidate.name === 'AbortError';
  const detail = candidate.cause?.code ?? candidate.message ?? String(error);
  return new KubeError({ kind: 'unavailable', message: timedOut ? 'timed out' : `API server unreachable (${detail})`, operation });
}
