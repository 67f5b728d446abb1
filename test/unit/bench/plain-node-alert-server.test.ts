// The benchmark's "fastify taken out" reference must answer as delete-pod does, or its
// throughput says nothing about delete-pod: the same statuses and bodies for what the bench
// sends it (alerts delete-pod filters out) and for bodies its guard rails refuse.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unselectedAlert, filteredAlert } from '../../../bench/lib/alerts.ts';
import { repoRoot } from '../../../bench/lib/bundle-like-functions.ts';
import { BENCH_FUNCTIONS } from '../../../bench/lib/functions.ts';
import { post } from '../../../bench/lib/http.ts';
import { coldStart, type ColdStart } from '../../../bench/lib/launch.ts';
import { deployedEnv, functionEnv, unbundled } from '../../../bench/lib/targets.ts';

const deletePod = BENCH_FUNCTIONS.find((fn) => fn.name === 'delete-pod')!;
const env = deployedEnv(deletePod.spec, functionEnv('/nonexistent/kubeconfig'));
const fixture = { args: [join(repoRoot, 'bench', 'fixtures', 'plain-node-alert-server.ts')], env, cwd: repoRoot };

/** Status and body, compared as values (key order aside). */
function comparable(answer: { status: number; body: string }) {
  return { status: answer.status, body: JSON.parse(answer.body) as unknown };
}

describe("the benchmark's plain Node handler reference (delete-pod, fastify taken out)", () => {
  let fn: ColdStart;
  let plain: ColdStart;
  beforeAll(async () => {
    [fn, plain] = await Promise.all([coldStart(unbundled('delete-pod', env), filteredAlert()), coldStart(fixture, filteredAlert())]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fn?.stop(), plain?.stop()]);
  });

  it.each([
    ['an alert for a rule delete-pod is not configured for (what the bench sends)', unselectedAlert()],
    ['an alert below MIN_PRIORITY', filteredAlert()],
    ['a body with a key twice', unselectedAlert().replace('{', '{"rule":"Terminal shell in container",')],
    ['a body that is not JSON', '{"rule":'],
    ['a prototype-poisoning body', unselectedAlert().replace('{', '{"__proto__":{"x":1},')],
    ['an alert that fails the schema', JSON.stringify({ ...JSON.parse(unselectedAlert()), priority: 'Loud' })],
  ])('answers %s as delete-pod does', async (_what, body) => {
    const [fromFunction, fromPlain] = await Promise.all([post(fn.port, body), post(plain.port, body)]);
    expect(comparable(fromPlain)).toEqual(comparable(fromFunction));
  });
});
