// Idle memory: every target started together, each answers one filtered alert, then RSS is
// read 1 s later and again once V8's memory reducer has run (it does after ~8 s without
// work), which is what an instance waiting for the next alert holds.
import { setTimeout as sleep } from 'node:timers/promises';
import { filteredAlert } from '../lib/alerts.ts';
import { coldStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';

export interface MemoryPlan {
  rounds: number;
  targets: Array<{ key: string; launchable: Launchable }>;
  settledAfterMs: number;
}

/** Keys: `started:<key>` (1 s after the answer), `idle:<key>` (settled), MiB. */
export async function measureIdleMemory(plan: MemoryPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  for (let round = 1; round <= plan.rounds; round++) {
    const running = await Promise.all(
      plan.targets.map(async (target) => ({ key: target.key, process: await coldStart(target.launchable, filteredAlert()) })),
    );
    try {
      const answeredAt = performance.now();
      await sleep(1000);
      for (const { key, process } of running) samples.add(`started:${key}`, process.rssMiB());
      await sleep(Math.max(0, plan.settledAfterMs - (performance.now() - answeredAt)));
      for (const { key, process } of running) samples.add(`idle:${key}`, process.rssMiB());
    } finally {
      await Promise.all(running.map(({ process }) => process.stop()));
    }
    progress(`memory: round ${round}/${plan.rounds} done`);
  }
  return samples;
}
