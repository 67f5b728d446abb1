// Throughput of one instance: alerts/s under a fixed load (autocannon, keep-alive connections)
// after a short warm-up, and the peak RSS under that load. Reference in the same rounds: a
// bundled fastify hello-world answering the same POST.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { actingAlert } from '../lib/alerts.ts';
import { coldStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';

export interface LoadTarget {
  /** e.g. "fastify-hello", "delete-pod/filtered". */
  key: string;
  launchable: Launchable;
  /** The body every request carries (made fresh for each round: alerts carry their time). */
  body: () => string;
}

export interface ThroughputPlan {
  rounds: number;
  targets: LoadTarget[];
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

const SAMPLE_EVERY_MS = 50;

/** 0 once the process is gone (the load run then reports it). */
function rssMiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Keys: `rps:<key>`, `peak:<key>` (MiB). */
export async function measureThroughput(plan: ThroughputPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  for (let round = 1; round <= plan.rounds; round++) {
    for (const target of plan.targets) {
      const body = target.body();
      const started = await coldStart(target.launchable, body);
      try {
        const url = `http://127.0.0.1:${started.port}/`;
        const load = { url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: plan.connections };
        await autocannon({ ...load, duration: plan.warmupSeconds });
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(started.child.pid!))), SAMPLE_EVERY_MS);
        let result: Awaited<ReturnType<typeof autocannon>>;
        try {
          result = await autocannon({ ...load, duration: plan.seconds });
        } finally {
          clearInterval(sampler);
        }
        const { exitCode, signalCode } = started.child;
        if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0 || exitCode !== null || signalCode !== null) {
          throw new Error(
            `${target.key}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts under load (exit ${exitCode ?? signalCode ?? 'none'})\n${started.stderr()}`,
          );
        }
        samples.add(`rps:${target.key}`, result['2xx'] / result.duration);
        samples.add(`peak:${target.key}`, peak);
      } finally {
        await started.stop();
      }
    }
    progress(`throughput: round ${round}/${plan.rounds} done`);
  }
  return samples;
}

/** The dry-run body: passes every check that needs no cluster, so an offline function answers dry-run. */
export function dryRunBody(): string {
  return actingAlert('bench', 'bench-pod');
}
