// Memory under pressure: one instance takes the 50-connection filtered load, then a storm of
// acting alerts (each naming a different fresh pod, 50 at a time, as Falcosidekick delivers a
// burst), and its RSS is read from /proc right after, with no forced GC, inspector or signal
// in between, and again 30 s later; the peak is sampled throughout. The floor and the fastify
// hello-world take the same requests (they just answer them).
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { actingAlert, outcomeOf, unselectedAlert } from '../lib/alerts.ts';
import type { BenchCluster } from '../lib/cluster.ts';
import { post, postLoad } from '../lib/http.ts';
import { coldStart, peakRss, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';
import { createPod } from '../../testbed/workloads/hand-made.ts';

export interface PressurePlan {
  rounds: number;
  /** `acts`: a function, whose storm answers must each be `acted` (the pods exist, one per alert). */
  targets: Array<{ key: string; launchable: Launchable; acts: boolean }>;
  connections: number;
  seconds: number;
  stormAlerts: number;
  /** Storm alerts in flight at once. */
  stormConcurrency: number;
  settleMs: number;
  cluster: BenchCluster;
}

const POD_CREATION_CONCURRENCY = 20;

async function createStormPods(cluster: BenchCluster, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < names.length; i += POD_CREATION_CONCURRENCY)
    await Promise.all(names.slice(i, i + POD_CREATION_CONCURRENCY).map((name) => createPod(cluster.api, cluster.namespace, name)));
  return names;
}

async function storm(port: number, bodies: string[], concurrency: number, acts: boolean, key: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const answers = await Promise.all(bodies.map((body) => post(port, body, {}, agent)));
    const wrong = answers.filter((a) => a.status < 200 || a.status > 299 || (acts && outcomeOf(a.body) !== 'acted'));
    if (wrong.length > 0)
      throw new Error(`${key}: ${wrong.length} of ${bodies.length} storm alerts not acted, e.g. ${wrong[0]!.status} ${wrong[0]!.body}`);
  } finally {
    agent.destroy();
  }
}

/** Keys (MiB): `after:<key>` (right after load + storm), `settled:<key>` (settleMs later), `peak:<key>`. */
export async function measurePressure(plan: PressurePlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  let storms = 0;
  for (let round = 1; round <= plan.rounds; round++) {
    // Each target settles while the next one is loaded: its 30 s start right after its own storm.
    const settling: Array<Promise<void>> = [];
    for (const target of plan.targets) {
      const pods = await createStormPods(plan.cluster, `storm-${++storms}`, target.acts ? plan.stormAlerts : 0);
      const bodies = target.acts
        ? pods.map((pod) => actingAlert(plan.cluster.namespace, pod))
        : Array.from({ length: plan.stormAlerts }, () => actingAlert(plan.cluster.namespace, 'no-such-pod'));
      const body = unselectedAlert();
      const started = await coldStart(target.launchable, body);
      const peak = peakRss(started);
      try {
        const load = await autocannon({ ...postLoad(started.port, body, plan.connections), duration: plan.seconds });
        if (load.errors > 0 || load.non2xx > 0) throw new Error(`${target.key}: ${load.errors} errors, ${load.non2xx} non-2xx under load`);
        await storm(started.port, bodies, plan.stormConcurrency, target.acts, target.key);
        samples.add(`after:${target.key}`, started.rssMiB());
      } catch (error) {
        peak.read('stop');
        await started.stop();
        throw error;
      }
      settling.push(
        (async () => {
          try {
            await sleep(plan.settleMs);
            samples.add(`settled:${target.key}`, started.rssMiB());
          } finally {
            samples.add(`peak:${target.key}`, peak.read('stop'));
            await started.stop();
          }
        })(),
      );
    }
    await Promise.all(settling);
    progress(`memory under pressure: round ${round}/${plan.rounds} done`);
  }
  return samples;
}
