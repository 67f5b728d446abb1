// The one spawn helper: every process the test bed starts (control-plane servers, the
// functions as their images run them, one-shot runs) goes through spawnProcess or runToExit.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnOptions {
  cwd?: string;
  /** The whole environment of the child (nothing is inherited, as in a container); see baseEnv(). */
  env: Record<string, string>;
  /** Output goes to this file instead of memory (long-running servers). */
  logFile?: string;
  /** Runs in its own process group, signalled as a whole (a server and anything it forks). */
  group?: boolean;
  /** Throws stdout away (as a log collector would take it), keeping stderr: for timings. */
  discardStdout?: boolean;
}

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr as they came, or the last lines of the log file. */
  output(): string;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  isRunning(): boolean;
  /** Sends `signal` (to the whole group for group processes); no-op once exited. */
  signal(signal: NodeJS.Signals): void;
  /** `signal` (SIGTERM), then SIGKILL if it is still running after `graceMs`; resolves on exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** PATH and HOME of this process: what a child needs to find its tools. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
}

export function tailOfFile(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function spawnProcess(command: string, args: string[], options: SpawnOptions): RunningProcess {
  const log = options.logFile ? openSync(options.logFile, 'a') : undefined;
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: options.group ?? false,
      stdio: log !== undefined ? ['ignore', log, log] : ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
  } finally {
    if (log !== undefined) closeSync(log); // the child holds its own copy
  }
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.on('error', (error) => (text += `\nspawn ${command}: ${error.message}\n`)); // also ends in 'exit'/'close'
  if (options.group) child.unref(); // a server must not keep a test worker alive; stop() and hooks end it
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const isRunning = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => {
    if (!isRunning()) return;
    try {
      if (options.group) process.kill(-child.pid!, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    output: () => (options.logFile ? tailOfFile(options.logFile) : text),
    exited,
    isRunning,
    signal,
    async stop(sig = 'SIGTERM', graceMs = 10_000) {
      if (!isRunning()) return child.exitCode;
      signal(sig);
      const timer = new AbortController(); // cancelled so it does not hold the event loop open
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs, true, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
      if (timedOut) signal('SIGKILL');
      return exited;
    },
  };
}

/** Runs to completion, `input` on stdin (closed either way); stdout and stderr apart. */
export function runToExit(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; input?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(options.input ?? '');
    child.once('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
