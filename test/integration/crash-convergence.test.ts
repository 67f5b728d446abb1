// A function killed between two writes of one action (OOM, node drain, SIGKILL) and run
// again with the same alert ends where one clean run ends: no duplicate object, the action
// done once, exactly one action Event, one budget slot. A proxy between the function and the
// API server holds the next write at each crash point while the process is killed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { PREVIOUS_REPLICAS_ANNOTATION, scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { budgetSlots, setSlotsAnnotation } from '../../testbed/cluster/budget-lease.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { eventually } from '../../testbed/cluster/probes.ts';
import { FUNCTION_NAMESPACE, functionToken } from '../../testbed/functions/function-under-test.ts';
import { spawnFunction, type SpawnedFunction } from '../../testbed/functions/spawn-function.ts';
import { startFaultProxy, type FaultProxy } from '../../testbed/net/fault-proxy.ts';
import { postJson } from '../../testbed/net/http-client.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { createDeploymentWithPod } from '../../testbed/workloads/controllers.ts';
import { createPod, functionEventsIn, podExists, shortContainerId } from '../../testbed/workloads/pods.ts';

const root = new URL('../../', import.meta.url).pathname;
let cluster: ClusterCoords;
let api: AdminApis;
let proxy: FaultProxy;
const scratch = mkdtempSync(join(tmpdir(), 'frf-crash-'));
const running: SpawnedFunction[] = [];

beforeAll(async () => {
  cluster = useCluster();
  api = adminApis(cluster);
  proxy = await startFaultProxy(cluster);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((fn) => fn.stop('SIGKILL')));
  proxy.setRule(() => ({ kind: 'pass' }));
  await setSlotsAnnotation(cluster, undefined);
});
afterAll(async () => {
  await proxy.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The function as its own process, reaching the API server only through the proxy (plain HTTP to it). */
async function spawnThroughProxy(spec: ResponseFunctionSpec): Promise<SpawnedFunction> {
  const token = await functionToken(cluster, spec);
  const kubeconfig = join(scratch, `${spec.name}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: proxy',
      'clusters:',
      `- name: proxy`,
      `  cluster: {server: "${proxy.url}", insecure-skip-tls-verify: true}`,
      'users:',
      '- name: fn',
      `  user: {token: "${token}"}`,
      'contexts:',
      '- name: proxy',
      '  context: {cluster: proxy, user: fn}',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const fn = await spawnFunction(join(root, `functions/${spec.name}/index.ts`), {
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: FUNCTION_NAMESPACE,
    LOG_LEVEL: 'info',
    BUDGET: 'cluster',
    BUDGET_MAX_ACTIONS: '10',
    KUBE_TIMEOUT_MS: '60000',
  });
  running.push(fn);
  return fn;
}

type CrashPoint = 'after the slot is taken' | 'after its first write' | 'after its last write, before the Event';

/** Holds the write that comes right after the crash point; everything else passes. */
function holdAt(point: CrashPoint, actionWrites: number) {
  let writes = 0;
  let held = false;
  proxy.setRule(({ method, path }) => {
    if (method === 'GET' || path.includes('/leases/')) return { kind: 'pass' };
    const isEvent = path.includes('/events');
    const hold =
      point === 'after the slot is taken'
        ? !isEvent && writes === 0
        : point === 'after its first write'
          ? !isEvent && writes === 1
          : isEvent && writes >= actionWrites; // a conflict retry may add a write before it
    if (!isEvent) writes++;
    if (hold && !held) {
      held = true;
      return { kind: 'delay', ms: 20_000 };
    }
    return { kind: 'pass' };
  });
  return () => held;
}

interface Scenario {
  spec: ResponseFunctionSpec;
  /** Writes one clean action makes before its Event. */
  writes: number;
  setUp(ns: string): Promise<{ alert: unknown; check(): Promise<void> }>;
}

const scenarios: Scenario[] = [
  {
    spec: deletePodSpec,
    writes: 1,
    async setUp(ns) {
      const pod = await createPod(api, ns, 'victim');
      return {
        alert: alertFor(ns, 'victim', shortContainerId(pod)),
        async check() {
          await eventually('victim gone', async () => !(await podExists(api, ns, 'victim')));
        },
      };
    },
  },
  {
    spec: isolatePodSpec,
    writes: 2,
    async setUp(ns) {
      const pod = await createPod(api, ns, 'suspect');
      return {
        alert: alertFor(ns, 'suspect', shortContainerId(pod)),
        async check() {
          const policies = (await api.networking.listNamespacedNetworkPolicy({ namespace: ns })).items;
          expect(policies.map((p) => p.metadata!.name)).toEqual(['falco-quarantine-suspect']);
          expect((await podExists(api, ns, 'suspect'))!.metadata!.labels!['falco-response.dev/quarantine']).toBe(pod.metadata!.uid);
        },
      };
    },
  },
  {
    spec: scaleToZeroSpec,
    writes: 2,
    async setUp(ns) {
      const web = await createDeploymentWithPod(api, ns, 'web', { replicas: 2 });
      const pod = web.pods[0]!;
      return {
        alert: alertFor(ns, pod.metadata!.name!, shortContainerId(pod)),
        async check() {
          const deployment = await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
          expect(deployment.spec!.replicas).toBe(0);
          expect(deployment.metadata!.annotations![PREVIOUS_REPLICAS_ANNOTATION]).toBe('2');
        },
      };
    },
  },
];

const cases = scenarios.flatMap((scenario) =>
  // delete-pod has one write: its "first" write is its last, the third crash point.
  (['after the slot is taken', 'after its first write', 'after its last write, before the Event'] as CrashPoint[])
    .filter((point) => !(scenario.writes === 1 && point === 'after its first write'))
    .map((point) => [scenario.spec.name, point, scenario] as const),
);

describe('killed mid-action, run again: the end state of one clean run', () => {
  it.each(cases)(
    '%s, SIGKILL %s',
    async (_name, point, scenario) => {
      const ns = await createTestNamespace(cluster, `crash-${scenario.spec.name}`);
      const { alert, check } = await scenario.setUp(ns);
      const first = await spawnThroughProxy(scenario.spec);
      const isHeld = holdAt(point, scenario.writes);
      const answered = postJson(first.url, alert).catch(() => undefined); // it dies before answering
      await eventually(`a write held ${point}`, async () => isHeld());
      await first.stop('SIGKILL');
      expect(await answered).toBeUndefined();
      proxy.setRule(() => ({ kind: 'pass' }));

      const second = await spawnThroughProxy(scenario.spec);
      const answer = await postJson(second.url, alert);
      expect(answer.status).toBe(200);
      const decision = JSON.parse(answer.body);
      if (point === 'after its last write, before the Event') {
        // The action was done: the answer says so, and that it recorded the missing Event.
        expect(decision.reason).toMatch(/^already-/);
        expect(decision.details.completedEarlierAction).toMatchObject({ event: 'recorded' });
      } else {
        expect(decision).toMatchObject({ outcome: 'acted' });
      }
      await check();
      const events = (await functionEventsIn(api, ns)).filter((event) => event.reason === scenario.spec.actionEvent.reason);
      expect(events).toHaveLength(1);
      // The re-run used the crashed attempt's slot: one action, one slot.
      expect((await budgetSlots(cluster)).filter((slot) => slot.target.startsWith(`${ns}/`))).toHaveLength(1);
      // A third alert changes nothing more.
      expect(JSON.parse((await postJson(second.url, alert)).body).outcome).not.toBe('acted');
      expect((await functionEventsIn(api, ns)).filter((event) => event.reason === scenario.spec.actionEvent.reason)).toHaveLength(1);
    },
    180_000,
  );
});
