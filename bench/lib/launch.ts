// Starts a server process and polls it with the same POST until it answers 2xx: every cold
// start in the table (floor, references, functions) is timed by this one function.
import type { ChildProcess } from 'node:child_process';
import { spawnProcess } from '../../testbed/process/spawn.ts';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { post, type Answer } from './http.ts';
import { freePort } from '../../testbed/net/ports.ts';
import { inMemoryLimit, memoryLimit } from './memory-limit.ts';

export interface Launchable {
  /** Arguments to `node` (the benchmark's own Node 24). */
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run under this memory limit, as the manifests deploy it (lib/memory-limit.ts). */
  memoryLimitMiB?: number;
}

export interface Running {
  port: number;
  child: ChildProcess;
  /** Resident set size now, in MiB, from /proc. */
  rssMiB(): number;
  stderr(): string;
  stop(): Promise<void>;
}

export interface ColdStart extends Running {
  /** exec → first 2xx answer to `body`. */
  ms: number;
  answer: Answer;
}

const POLL_INTERVAL_MS = 1;
const START_TIMEOUT_MS = 20_000;

function baseEnv(port: number): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', LOCK_FILE: '' };
}

function rssMiBOf(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

/**
 * The highest RSS (MiB) of a running process, sampled every 50 ms until read() is last
 * called with `stop`; a sample after the process is gone is skipped (its load reports that).
 */
export function peakRss(running: Pick<Running, 'rssMiB'>): { read(stop?: 'stop'): number } {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, running.rssMiB());
    } catch {
      // gone
    }
  };
  const timer = setInterval(sample, 50);
  return {
    read(stop) {
      sample();
      if (stop) clearInterval(timer);
      return peak;
    },
  };
}

function isRefused(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

export function launch(what: Launchable, port: number): Running {
  // stdout (the decision log lines) goes to /dev/null as a log collector would take it away.
  const limit = what.memoryLimitMiB === undefined ? undefined : memoryLimit(what.memoryLimitMiB);
  const { command, args } = limit ? inMemoryLimit(process.execPath, what.args, limit) : { command: process.execPath, args: what.args };
  const proc = spawnProcess(command, args, { cwd: what.cwd, env: { ...baseEnv(port), ...what.env }, discardStdout: true });
  return {
    port,
    child: proc.child,
    rssMiB: () => rssMiBOf(proc.child.pid),
    stderr: proc.output,
    async stop() {
      await proc.stop('SIGKILL');
      limit?.remove();
    },
  };
}

/** Spawns and POSTs `body` every millisecond until the first 2xx; fails on any other status. */
export async function coldStart(what: Launchable, body: string): Promise<ColdStart> {
  const port = await freePort();
  const started = performance.now();
  const running = launch(what, port);
  for (;;) {
    if (running.child.exitCode !== null || running.child.signalCode !== null)
      throw new Error(`${what.args.join(' ')} exited with ${running.child.exitCode ?? running.child.signalCode}:\n${running.stderr()}`);
    if (performance.now() - started > START_TIMEOUT_MS) {
      await running.stop();
      throw new Error(`${what.args.join(' ')} did not answer within ${START_TIMEOUT_MS} ms:\n${running.stderr()}`);
    }
    let answer: Answer;
    try {
      answer = await post(port, body);
    } catch (error) {
      if (!isRefused(error)) {
        await running.stop();
        throw error;
      }
      await sleep(POLL_INTERVAL_MS);
      continue;
    }
    const ms = performance.now() - started;
    if (answer.status < 200 || answer.status > 299) {
      await running.stop();
      throw new Error(`${what.args.join(' ')} answered ${answer.status}: ${answer.body}\n${running.stderr()}`);
    }
    return { ...running, ms, answer };
  }
}
