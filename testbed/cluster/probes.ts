// Readiness of a server process: poll a probe until it says yes, fail early (with the log's
// last lines) if the process died, fail with the last problem seen at the deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from '../process/supervisor.ts';

export const READY_TIMEOUT_MS = 90_000;

export async function waitUntilReady(
  proc: ServerProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (!proc.isRunning()) {
      throw new Error(
        `${proc.name} exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode}) before ${what}.\n` +
          `--- last lines of ${proc.logPath} ---\n${proc.output()}`,
      );
    }
    try {
      if (await probe()) return;
      lastProblem = 'not ready';
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `${proc.name} not ${what} after ${timeoutMs / 1000}s (last: ${lastProblem}).\n--- last lines of ${proc.logPath} ---\n${proc.output()}`,
  );
}

/** Polls `condition` until it returns a value other than undefined/false; for the cluster's reactions (pods appearing, going). */
export async function eventually<T>(
  what: string,
  condition: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastProblem = ` (last error: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastProblem}`);
    await sleep(intervalMs);
  }
}
