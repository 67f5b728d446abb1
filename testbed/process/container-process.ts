// A process started the way a container starts it (exactly the environment given, plus PATH)
// and polled over HTTP until it answers; for the packaging tests of the images' commands.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../net/ports.ts';
import { runToExit, spawnProcess, type RunningProcess } from './spawn.ts';

export { freePort };
export type { RunningProcess };

const containerEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...env });

/** Spawns with exactly the environment given (plus PATH), as a container would. */
export function startProcess(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): RunningProcess {
  return spawnProcess(command, args, { cwd: options.cwd, env: containerEnv(options.env) });
}

/** Polls GET `url` until it answers 200; fails with the process output if it exits or times out. */
export async function waitUntilReady(proc: RunningProcess, url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) throw new Error(`exited with ${proc.child.exitCode} before ${url} was ready:\n${proc.output()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Runs to completion with stdin closed; for one-shot mode. */
export function runToCompletion(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit(command, args, { cwd: options.cwd, env: containerEnv(options.env) });
}
