// Throughput of one instance: alerts/s under a fixed load (autocannon, keep-alive connections)
// after a short warm-up, and the peak RSS under that load. References in the same rounds: the
// floor (a bare Node http server) and a bundled fastify hello-world answering the same POST.
// A function's own count of the alerts it received (falco_response_alerts_total) must cover
// every answer the load got and no more than the requests it sent: otherwise the run fails.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { actingAlert, outcomeOf } from '../lib/alerts.ts';
import { postLoad } from '../lib/http.ts';
import { coldStart, peakRss, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface LoadTarget {
  /** e.g. "fastify-hello", "delete-pod/filtered". */
  key: string;
  launchable: Launchable;
  /** The body every request carries (made fresh for each round: alerts carry their time). */
  body: () => string | Promise<string>;
  /** The outcome the first alert (the one that answers the cold start) must have, e.g. `acted` before a storm of repeats. */
  firstOutcome?: string;
  /** Check falco_response_alerts_total against the answers sent (functions, not references). */
  accounted?: boolean;
}

export interface ThroughputPlan {
  rounds: number;
  targets: LoadTarget[];
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

/** CPU time (user + system) a process has used so far, in µs, from /proc/<pid>/stat. */
function cpuMicros(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing paren):
  // utime and stime are the 12th and 13th, in clock ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Keys: `rps:<key>`, `peak:<key>` (MiB), `cpu:<key>` (µs of the server's CPU per answered
 * request over the load: unlike alerts/s, it barely moves when a neighbour takes the cores).
 */
export async function measureThroughput(plan: ThroughputPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  for (let round = 1; round <= plan.rounds; round++) {
    for (const target of plan.targets) {
      const body = await target.body();
      const started = await coldStart(target.launchable, body);
      try {
        const load = postLoad(started.port, body, plan.connections);
        if (target.firstOutcome && outcomeOf(started.answer.body) !== target.firstOutcome)
          throw new Error(`${target.key}: the first alert should have ${target.firstOutcome}: ${started.answer.body}`);
        const warmup = await autocannon({ ...load, duration: plan.warmupSeconds });
        if (warmup.non2xx > 0 || warmup.errors > 0)
          throw new Error(`${target.key}: ${warmup.non2xx} non-2xx, ${warmup.errors} errors in the warm-up`);
        const peak = peakRss(started);
        const cpuBefore = cpuMicros(started.child.pid!);
        let result: Awaited<ReturnType<typeof autocannon>>;
        try {
          result = await autocannon({ ...load, duration: plan.seconds });
        } finally {
          peak.read('stop');
        }
        const { exitCode, signalCode } = started.child;
        if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0 || exitCode !== null || signalCode !== null) {
          throw new Error(
            `${target.key}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts under load (exit ${exitCode ?? signalCode ?? 'none'})\n${started.stderr()}`,
          );
        }
        samples.add(`rps:${target.key}`, result['2xx'] / result.duration);
        samples.add(`peak:${target.key}`, peak.read());
        samples.add(`cpu:${target.key}`, (cpuMicros(started.child.pid!) - cpuBefore) / result['2xx']);
        if (target.accounted) {
          // The cold start's own alert, the warm-up's and the load's; the requests still in flight
          // when a run's duration ended were received (and counted) but their answers not read.
          const answered = 1 + warmup['2xx'] + result['2xx'];
          const sent = 1 + warmup.requests.sent + result.requests.sent;
          const counted = await alertsCounted(started.port);
          if (counted < answered || counted > sent)
            throw new Error(`${target.key}: ${answered} alerts answered of ${sent} sent, but ${counted} in falco_response_alerts_total`);
          samples.add(`accounted:${target.key}`, counted);
        }
      } finally {
        await started.stop();
      }
    }
    progress(`throughput: round ${round}/${plan.rounds} done`);
  }
  return samples;
}

/** The sum of falco_response_alerts_total over all its labels, read from the function's /metrics. */
async function alertsCounted(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  let sum = 0;
  for (const line of (await response.text()).split('\n'))
    if (line.startsWith('falco_response_alerts_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The dry-run body: passes every check that needs no cluster, so an offline function answers dry-run. */
export function dryRunBody(): string {
  return actingAlert('bench', 'bench-pod');
}
