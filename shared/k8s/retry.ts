// Bounded retries with exponential backoff and jitter for the failures worth retrying
// (429 honouring Retry-After, 5xx, timeouts, unreachable). Conflicts are retried only when
// the caller says the operation re-reads what it writes.
import { KubeError, toKubeError } from './errors.ts';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryConflicts?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(operation: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  let lastError: KubeError | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await call();
    } catch (error) {
      lastError = toKubeError(error, operation);
      const worthRetrying = lastError.kind === 'unavailable' || (lastError.kind === 'conflict' && policy.retryConflicts === true);
      if (!worthRetrying || attempt === policy.attempts) throw lastError;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const hinted = lastError.retryAfterSeconds !== undefined ? Math.min(policy.maxDelayMs, lastError.retryAfterSeconds * 1000) : 0;
      await sleep(Math.max(hinted, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }
  throw lastError!;
}
