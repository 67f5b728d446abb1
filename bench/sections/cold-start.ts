// Cold start: exec → first 2xx answer, for (a) an alert every function filters out and (b) an
// alert that acts against the real API server (the answer comes once the delete / isolation /
// scale-down and its Event are acknowledged). All variants run interleaved, round after round,
// so a noisy neighbour slows every variant of a round alike.
import { actingAlert, filteredAlert, outcomeOf } from '../lib/alerts.ts';
import type { BenchCluster } from '../lib/cluster.ts';
import type { BenchFunction } from '../lib/functions.ts';
import { coldStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';
import { createPod } from '../../testbed/workloads/hand-made.ts';

export interface ColdStartVariant {
  /** e.g. "shipped", "no-cache", "unbundled". */
  name: string;
  launchable(fn: string): Launchable;
}

export interface ColdStartPlan {
  rounds: number;
  references: Array<{ name: string; launchable: Launchable }>;
  /** Servers that act on a POST {"namespace","pod"} (fixtures/direct-delete-server.ts): timed until a bare pod is deleted. */
  actingReferences?: Array<{ name: string; launchable: Launchable }>;
  functions: BenchFunction[];
  variants: ColdStartVariant[];
  cluster: BenchCluster;
}

/** Keys: `<reference>`, `<acting reference>/acting`, `<fn>/<variant>/filtered`, `<fn>/<variant>/acting`; RSS after the answer under `rss:<key>`. */
export async function measureColdStarts(plan: ColdStartPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  let targets = 0;
  const time = async (key: string, what: Launchable, body: string, expectOutcome?: string) => {
    const started = await coldStart(what, body);
    try {
      if (expectOutcome && outcomeOf(started.answer.body) !== expectOutcome) {
        throw new Error(`${key}: expected outcome ${expectOutcome}, got ${started.answer.body}`);
      }
      samples.add(key, started.ms);
      samples.add(`rss:${key}`, started.rssMiB());
    } finally {
      await started.stop();
    }
  };
  for (let round = 1; round <= plan.rounds; round++) {
    for (const reference of plan.references) await time(reference.name, reference.launchable, filteredAlert());
    for (const reference of plan.actingReferences ?? []) {
      const pod = `cold-${reference.name}-${++targets}`;
      await createPod(plan.cluster.api, plan.cluster.namespace, pod);
      await time(`${reference.name}/acting`, reference.launchable, JSON.stringify({ namespace: plan.cluster.namespace, pod }), 'acted');
    }
    for (const fn of plan.functions) {
      for (const variant of plan.variants) {
        await time(`${fn.name}/${variant.name}/filtered`, variant.launchable(fn.name), filteredAlert(), 'skipped');
        const pod = await fn.createTarget(plan.cluster.api, plan.cluster.namespace, `cold-${fn.name}-${++targets}`);
        await time(`${fn.name}/${variant.name}/acting`, variant.launchable(fn.name), actingAlert(plan.cluster.namespace, pod), 'acted');
      }
    }
    progress(`cold start: round ${round}/${plan.rounds} done`);
  }
  return samples;
}
