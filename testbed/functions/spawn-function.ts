// Starts a function as its own process (as in its image: `node <entry>`, $PORT) and finds
// the port it listens on from its log line.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { baseEnv, runToExit as runCommandToExit, spawnProcess } from '../process/spawn.ts';

export interface SpawnedFunction {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

export async function spawnFunction(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
  cwd?: string,
): Promise<SpawnedFunction> {
  const proc = spawnProcess(process.execPath, [entry, ...args], {
    cwd,
    env: { ...baseEnv(), PORT: '0', HOST: '127.0.0.1', LOCK_FILE: '', ...env },
  });
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (!url) {
    url = LISTENING.exec(proc.output())?.[1];
    if (url) break;
    if (!proc.isRunning()) throw new Error(`exited with ${proc.child.exitCode} before listening:\n${proc.output()}`);
    if (Date.now() > deadline) {
      proc.signal('SIGKILL'); // never leave a half-started function behind
      throw new Error(`no listening line within 15 s:\n${proc.output()}`);
    }
    await sleep(10);
  }
  return {
    url,
    child: proc.child,
    output: proc.output,
    // No SIGKILL fallback: tests of graceful shutdown wait for the function's own exit.
    stop: (signal = 'SIGTERM') => proc.stop(signal, 60_000),
  };
}

/** Runs an entry to completion (one-shot mode, bad configuration). */
export function runToExit(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommandToExit(process.execPath, [entry, ...args], { env: { ...baseEnv(), LOCK_FILE: '', ...env }, input });
}
