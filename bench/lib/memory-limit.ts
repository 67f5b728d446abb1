// A function runs in its cluster under the manifests' memory limit (resources.limits.memory:
// 256Mi, packaging/function-manifests.ts, the chart's values), and Node sizes V8's heap from
// it (process.constrainedMemory(): a smaller young generation and old-space limit than on
// this 23 GiB machine). So "as shipped" is measured the same way: each function process is
// put, before its node starts, into a memory cgroup with that limit. Where no memory cgroup
// can be made (not root, no cgroup filesystem), it runs without one and the table says so.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The manifests' `resources.limits.memory` of every function (Knative, OpenFaaS, Helm). */
export const MANIFEST_MEMORY_LIMIT_MIB = 256;

export interface MemoryLimit {
  /** Where a process joins the cgroup; undefined when none could be made. */
  procsFile?: string;
  how: string;
  /** Removes the cgroup once its process has exited (best effort). */
  remove(): void;
}

let made = 0;

/**
 * A memory cgroup of its own for one process (a limit is per container, and the benchmark
 * runs several side by side), limited to `mib`: cgroup v2, else v1's memory controller.
 */
export function memoryLimit(mib: number): MemoryLimit {
  const name = `falco-response-bench-${process.pid}-${++made}`;
  const bytes = String(mib * 1024 * 1024);
  const attempts = [
    { root: '/sys/fs/cgroup', probe: 'cgroup.controllers', limitFile: 'memory.max', how: 'cgroup v2 memory.max' },
    {
      root: '/sys/fs/cgroup/memory',
      probe: 'memory.limit_in_bytes',
      limitFile: 'memory.limit_in_bytes',
      how: 'cgroup v1 memory.limit_in_bytes',
    },
  ];
  const none = { how: 'none: no writable memory cgroup here (needs root and a cgroup filesystem)', remove() {} };
  for (const attempt of attempts) {
    if (!existsSync(join(attempt.root, attempt.probe))) continue;
    const dir = join(attempt.root, name);
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, attempt.limitFile), bytes);
    } catch {
      continue; // not writable: try the next kind, or run without a limit
    }
    return {
      procsFile: join(dir, 'cgroup.procs'),
      how: `${attempt.how} = ${mib} MiB`,
      remove() {
        try {
          rmdirSync(dir);
        } catch {
          // still has a process, or gone already
        }
      },
    };
  }
  return none;
}

/**
 * `node args…` as a command that first joins the cgroup: a shell writes its own pid into it,
 * then execs node (same pid), so node starts inside the limit and sizes its heap from it.
 */
export function inMemoryLimit(nodeBinary: string, args: string[], limit: MemoryLimit): { command: string; args: string[] } {
  if (limit.procsFile === undefined) return { command: nodeBinary, args };
  return { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', limit.procsFile, nodeBinary, ...args] };
}

/** How a limit of `mib` is applied on this machine, for the table (makes and removes one cgroup). */
export function memoryLimitHow(mib: number): string {
  const probe = memoryLimit(mib);
  probe.remove();
  return probe.how;
}
