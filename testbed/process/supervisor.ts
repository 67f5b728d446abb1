// Keeps a set of server processes (one cluster's) from outliving the run: each runs in its
// own process group; an 'exit' hook kills them if this process ends normally or crashes, and
// a watchdog shell kills them and removes their directory if this process is SIGKILLed (which
// skips 'exit' hooks).
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, spawnProcess, type RunningProcess } from './spawn.ts';

export interface ServerProcess extends RunningProcess {
  name: string;
  logPath: string;
}

const liveSupervisors = new Set<Supervisor>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const supervisor of liveSupervisors) supervisor.killNowSync();
  });
}

export class Supervisor {
  private readonly pidDir: string;
  private readonly processes = new Map<string, ServerProcess>();
  private readonly watchdog: RunningProcess;
  readonly dir: string;

  /** `dir` is removed with the processes, by stopAll() or by the watchdog. */
  constructor(dir: string) {
    this.dir = dir;
    installExitHook();
    this.pidDir = join(dir, 'pids');
    mkdirSync(this.pidDir, { recursive: true });
    const script = [
      'parent=$1; dir=$2; pids=$3',
      'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
      'for f in "$pids"/*.pgid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null; done',
      'rm -rf -- "$dir"',
    ].join('\n');
    this.watchdog = spawnProcess('bash', ['-c', script, 'frf-k8s-watchdog', String(process.pid), dir, this.pidDir], {
      env: baseEnv(),
      group: true,
      logFile: '/dev/null',
    });
    liveSupervisors.add(this);
  }

  /** Starts `bin` in its own group, logging to <dir>/<name>.log; replaces a stopped one of that name. `env` adds to baseEnv(). */
  start(name: string, bin: string, args: string[], env: Record<string, string> = {}): ServerProcess {
    const logPath = join(this.dir, `${name}.log`);
    const proc = { ...spawnProcess(bin, args, { env: { ...baseEnv(), ...env }, group: true, logFile: logPath }), name, logPath };
    if (proc.child.pid !== undefined) writeFileSync(join(this.pidDir, `${name}.pgid`), String(proc.child.pid));
    this.processes.set(name, proc);
    return proc;
  }

  get(name: string): ServerProcess | undefined {
    return this.processes.get(name);
  }

  /** For the 'exit' hook. The watchdog is left alive: it repeats the kill and removal a second
   *  later, in case a dying server was still writing into the dir. */
  killNowSync(): void {
    for (const proc of this.processes.values()) proc.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops the named processes in this order (e.g. clients before the servers they use), then the rest, the watchdog, and removes the dir. */
  async stopAll(order: string[] = []): Promise<void> {
    const names = [
      ...order.filter((name) => this.processes.has(name)),
      ...[...this.processes.keys()].filter((name) => !order.includes(name)),
    ];
    for (const name of names) await this.processes.get(name)!.stop();
    await this.watchdog.stop();
    rmSync(this.dir, { recursive: true, force: true });
    liveSupervisors.delete(this);
  }
}
