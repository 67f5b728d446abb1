// Bounded retries with exponential backoff and jitter for the failures worth retrying
// (429 honouring Retry-After, 5xx, timeouts, unreachable). Conflicts are not retried here:
// what a 409 means is decided by reading again (conflict.ts).
import { type KubeError, toKubeError } from './errors.ts';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(operation: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  let lastError: KubeError | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await call();
    } catch (error) {
      lastError = toKubeError(error, operation);
      if (lastError.kind !== 'unavailable' || attempt === policy.attempts) throw lastError;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const hinted = lastError.retryAfterSeconds !== undefined ? Math.min(policy.maxDelayMs, lastError.retryAfterSeconds * 1000) : 0;
      await sleep(Math.max(hinted, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }
  throw lastError!;
}
