// The scale section of the bench (`make bench-scale`, called by `make bench`): the reacting
// cluster grown to 100, 1,000 and as many pods as fit (target 10,000 pods on 1,000 nodes in
// 100 namespaces) within a wall-clock cap, with the numbers the issue asks for. The run
// itself is testbed/scale/scale-run.ts, which test/integration/reacting/scale-smoke runs small.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runScale, type ScaleReport, type ScaleStep } from '../../testbed/scale/scale-run.ts';
import { currentLoad, describeMachine, type Machine } from '../lib/machine.ts';

export interface ScaleBenchOptions {
  /** Largest size: nodes, pods, namespaces. */
  nodes: number;
  pods: number;
  namespaces: number;
  /** Wall-clock cap of the whole run, minutes. */
  minutes: number;
  qps: number;
  resultsPath?: string;
}

const START = '<!-- scale:begin -->';
const END = '<!-- scale:end -->';

export function scaleSteps(options: Pick<ScaleBenchOptions, 'nodes' | 'pods' | 'namespaces'>): ScaleStep[] {
  // 100 and 1,000 pods at 10 pods per node, then the largest size.
  const steps: ScaleStep[] = [
    { nodes: 10, namespaces: 1, podsPerNamespace: 100 },
    { nodes: 100, namespaces: 10, podsPerNamespace: 100 },
  ];
  if (options.pods > 1000)
    steps.push({ nodes: options.nodes, namespaces: options.namespaces, podsPerNamespace: Math.ceil(options.pods / options.namespaces) });
  return steps;
}

const ms = (value: number) =>
  Number.isFinite(value) ? `${value.toFixed(0)} ms` : value === Infinity ? 'beyond the largest bucket' : 'n/a';

export function scaleMarkdown(
  report: ScaleReport,
  options: ScaleBenchOptions,
  when: Date,
  machine?: Machine,
  loadAtEnd?: number[],
): string {
  const lines: string[] = [];
  const largest = report.sizes.at(-1);
  const smallest = report.sizes[0];
  lines.push(
    `### Scale (reacting cluster: controllers, scheduler, kwok nodes) — ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
  );
  lines.push(
    `Target ${options.nodes} nodes / ${options.pods} pods / ${options.namespaces} namespaces, cap ${options.minutes} min, controller-manager and scheduler at ${options.qps} QPS; the whole run took ${(report.seconds / 60).toFixed(1)} min.`,
    '',
  );
  if (machine) {
    // Other work on the machine competes with the cluster for the same cores: it decides how far the run gets.
    lines.push(
      `Machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; load average (1/5/15 min) at start ${machine.loadAtStart.join(' / ')}, at end ${(loadAtEnd ?? []).join(' / ')}.`,
      '',
    );
  }
  lines.push(
    '| size | pods running | grown in | delete-pod alert → answer p50 | p99 | samples | API calls per action (from the audit log) |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const size of report.sizes) {
    lines.push(
      `| ${size.nodes} nodes | ${size.podsRunning} of ${size.podsWanted} | ${size.growSeconds.toFixed(0)} s | ${ms(size.p50Ms)} | ${ms(size.p99Ms)} | ${size.samples.length} | ${size.callsPerAction.join(' / ')} |`,
    );
  }
  if (largest && smallest && largest !== smallest) {
    const ratio = largest.p50Ms / smallest.p50Ms;
    lines.push('', `p50 at the largest size / p50 at 100 pods: ${ratio.toFixed(2)}× (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'missed'}).`);
  }
  const same = new Set(report.sizes.flatMap((s) => s.callsPerAction)).size === 1;
  lines.push(`API calls per action identical at every size: ${same ? 'yes' : 'no'}.`);
  if (report.stopped) lines.push('', `Stopped growing: ${report.stopped}.`);
  for (const problem of report.problems) lines.push('', `Not measured: ${problem}.`);
  lines.push(
    '',
    '| isolate-pod, NetworkPolicies in the namespace | quarantine in place after | answer after | hole check (list) in the API server | what the check adds after the quarantine |',
    '|---|---|---|---|---|',
  );
  for (const i of report.isolation)
    lines.push(`| ${i.policies} | ${ms(i.quarantinedMs)} | ${ms(i.answeredMs)} | ${ms(i.listMs)} | ${ms(i.checkCostMs)} |`);
  lines.push(
    '',
    'The policy and the label are written before the list of policies (audit order), so the hole check never delays the quarantine; it only delays the answer.',
  );
  const s = report.storm;
  if (s) {
    lines.push(
      '',
      `Storm: ${s.alerts} alerts for distinct pods at once over 100 connections (delete-pod, MAX_ACTIONS and MAX_IN_FLIGHT high): ${s.acted} acted in ${s.seconds.toFixed(1)} s (${s.actionsPerSecond.toFixed(1)} actions/s); answers ${Object.entries(
        s.statuses,
      )
        .map(([code, n]) => `${n}× ${code}`)
        .join(
          ', ',
        )} (${s.allAcceptable ? 'all 2xx/429/503' : 'NOT all 2xx/429/503'}); function RSS peak ${s.peakRssMiB.toFixed(0)} MiB; Kubernetes API latency seen by the function: ${s.apiLatency.calls} calls, mean ${ms(s.apiLatency.meanMs)}, p50 ≤ ${ms(s.apiLatency.p50Ms)}, p99 ≤ ${ms(s.apiLatency.p99Ms)} (histogram bucket bounds).`,
    );
  }
  const b = report.budgetStorm;
  if (b) {
    lines.push(
      '',
      `Storm with the cluster-wide action budget on (BUDGET_MAX_ACTIONS=${b.budget}): ${b.alerts} alerts for distinct pods at once: ${b.acted} acted (${b.acted === b.budget ? 'exactly the budget' : `NOT the budget of ${b.budget}`}) in ${b.seconds.toFixed(1)} s; answers ${Object.entries(
        b.statuses,
      )
        .map(([code, n]) => `${n}× ${code}`)
        .join(
          ', ',
        )} (${b.allAcceptable ? 'all 2xx/429/503' : 'NOT all 2xx/429/503'}); the API server's /readyz answered 200 to ${b.readyzProbes - b.readyzFailures} of ${b.readyzProbes} probes during it; Kubernetes API latency seen by the function: ${b.apiLatency.calls} calls, mean ${ms(b.apiLatency.meanMs)}, p99 ≤ ${ms(b.apiLatency.p99Ms)}.`,
    );
  }
  return lines.join('\n');
}

export function writeScaleResults(path: string, markdown: string): void {
  const generated = `${START}\n${markdown}\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + generated + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n## Scale\n\n${generated}\n`;
  writeFileSync(path, next);
}

export async function runScaleBench(options: ScaleBenchOptions): Promise<ScaleReport> {
  const began = performance.now();
  const machine = describeMachine();
  const progress = (line: string) =>
    process.stderr.write(`[scale ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const report = await runScale({
    steps: scaleSteps(options),
    samples: 20,
    policies: 1000,
    stormPods: 1000,
    // Growing stops at the cap minus the time the measurements after it need.
    deadline: Date.now() + options.minutes * 60_000 - 3 * 60_000,
    qps: options.qps,
    progress,
  });
  const markdown = scaleMarkdown(report, options, new Date(), machine, currentLoad());
  console.log(markdown);
  if (options.resultsPath) writeScaleResults(options.resultsPath, markdown);
  return report;
}
