// One safety budget for the whole cluster, on the reacting cluster: every instance of every
// function takes its slot from the same Lease, with the API server as referee. Writes are
// counted from the audit log by each function's identity, not taken from the answers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import { BUDGET_SLOTS_ANNOTATION } from '../../shared/coordination/action-budget.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { k8sAuditAlert } from '../../testbed/alerts/fixtures.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { readAudit } from '../../testbed/cluster/audit.ts';
import { applyLease, budgetSlots, deleteLease, readLease, setSlotsAnnotation } from '../../testbed/cluster/budget-lease.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { kubeConfigFor } from '../../testbed/cluster/credentials.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../testbed/functions/function-under-test.ts';
import { startFaultProxy } from '../../testbed/net/fault-proxy.ts';
import { postJson } from '../../testbed/net/http-client.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { createDeployment, waitForPods } from '../../testbed/workloads/controllers.ts';
import { kubectl } from '../../testbed/workloads/kubectl.ts';
import { createPod, functionEventsIn, podExists, shortContainerId } from '../../testbed/workloads/pods.ts';
import { repoRoot } from '../../testbed/packaging/manifests.ts';

let cluster: ClusterCoords;
let api: AdminApis;
const started: FunctionUnderTest[] = [];
const BUDGET = { BUDGET: 'cluster', BUDGET_MAX_ACTIONS: '10', MAX_ACTIONS: '1000' };

beforeAll(() => {
  cluster = useCluster();
  api = adminApis(cluster);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.close()));
  if (!(await readLease(cluster))) await applyLease(cluster);
  await setSlotsAnnotation(cluster, undefined); // the next test (and the e2e bundles) start with a free budget
});
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.close()));
});

async function start(spec: ResponseFunctionSpec, env: Record<string, string> = {}): Promise<FunctionUnderTest> {
  const fn = await startFunctionUnderTest(cluster, spec, { ...BUDGET, ...env });
  started.push(fn);
  return fn;
}

/** Accepted writes that are actions (a pod deleted, a quarantine policy created, a scale set), by the three functions. */
function actionWrites(namespace: string, since: number) {
  return readAudit(cluster, { namespace, since }).filter((event) => {
    if (!event.user.username.startsWith('system:serviceaccount:falco-response:')) return false;
    if ((event.responseStatus?.code ?? 0) >= 300) return false;
    const { resource, subresource } = event.objectRef ?? {};
    return (
      (event.verb === 'delete' && resource === 'pods') ||
      (event.verb === 'create' && resource === 'networkpolicies') ||
      (event.verb === 'update' && subresource === 'scale')
    );
  });
}

async function refusals(fn: FunctionUnderTest, reason: string): Promise<number> {
  const metric = await fn.metrics.registry.getSingleMetric('falco_response_budget_refusals_total')!.get();
  return metric.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

describe('three functions, two instances each, one budget', () => {
  it('300 alerts for 300 distinct pods at once, a budget of 10: exactly 10 actions cluster-wide, every other answer a dry-run saying why', async () => {
    const ns = await createTestNamespace(cluster, 'budget-storm');
    const since = Date.now() - 1;
    // As users make them: two Deployments of 100 for delete-pod and isolate-pod, 100 single-replica ones for scale-to-zero.
    await createDeployment(api, ns, 'doomed', { replicas: 100, noWait: true });
    await createDeployment(api, ns, 'suspect', { replicas: 100, noWait: true });
    for (let i = 0; i < 100; i++) await createDeployment(api, ns, `svc-${i}`, { replicas: 1, noWait: true });
    const doomed = await waitForPods(api, ns, { app: 'doomed' }, 100, 240_000);
    const suspect = await waitForPods(api, ns, { app: 'suspect' }, 100, 240_000);
    const single = await Promise.all(
      Array.from({ length: 100 }, (_, i) => waitForPods(api, ns, { app: `svc-${i}` }, 1, 240_000).then((pods) => pods[0]!)),
    );

    const instances = new Map<ResponseFunctionSpec, FunctionUnderTest[]>();
    for (const spec of [deletePodSpec, isolatePodSpec, scaleToZeroSpec]) instances.set(spec, [await start(spec), await start(spec)]);
    const targets: Array<[ResponseFunctionSpec, typeof doomed]> = [
      [deletePodSpec, doomed],
      [isolatePodSpec, suspect],
      [scaleToZeroSpec, single],
    ];
    const sends = targets.flatMap(([spec, pods]) =>
      pods.map((pod, i) => {
        const fn = instances.get(spec)![i % 2]!;
        return postJson(fn.url, alertFor(ns, pod.metadata!.name!, shortContainerId(pod))).then((answer) => ({
          fn,
          status: answer.status,
          decision: JSON.parse(answer.body),
        }));
      }),
    );
    const answers = await Promise.all(sends);

    expect(answers.filter((a) => a.status !== 200).map((a) => a.decision)).toEqual([]);
    const acted = answers.filter((a) => a.decision.outcome === 'acted');
    expect(acted).toHaveLength(10);
    const others = answers.filter((a) => a.decision.outcome !== 'acted');
    expect(new Set(others.map((a) => `${a.decision.outcome} ${a.decision.reason}`))).toEqual(new Set(['dry-run budget-exhausted']));
    expect(others.every((a) => a.decision.message.includes('cluster-wide action budget'))).toBe(true);
    // Counted by the API server, not by the answers: 10 accepted action writes in all.
    expect(actionWrites(ns, since)).toHaveLength(10);
    // Every instance that was refused raised its metric.
    for (const fn of new Set(others.map((a) => a.fn))) expect(await refusals(fn, 'budget-exhausted')).toBeGreaterThan(0);
    expect((await budgetSlots(cluster)).length).toBe(10);
  }, 600_000);
});

describe('fail safe: no budget, no action', () => {
  async function podAndAlert(ns: string, name: string) {
    const pod = await createPod(api, ns, name);
    return alertFor(ns, name, shortContainerId(pod));
  }

  it('Lease deleted: dry-run budget-unavailable with a Warning Event, nothing written; acts again once the Lease is applied', async () => {
    const ns = await createTestNamespace(cluster, 'budget-gone');
    const since = Date.now() - 1;
    const fn = await start(deletePodSpec);
    await deleteLease(cluster);
    const alert = await podAndAlert(ns, 'victim');
    const answer = JSON.parse((await postJson(fn.url, alert)).body);
    expect(answer).toMatchObject({
      outcome: 'dry-run',
      reason: 'budget-unavailable',
      message: expect.stringContaining('the Lease does not exist'),
    });
    expect(await podExists(api, ns, 'victim')).toBeDefined();
    expect(actionWrites(ns, since)).toHaveLength(0);
    expect(await refusals(fn, 'budget-unavailable')).toBe(1);
    expect((await functionEventsIn(api, ns)).map((e) => e.reason)).toContain('ActionBudgetUnavailable');
    await applyLease(cluster);
    expect(JSON.parse((await postJson(fn.url, alert)).body)).toMatchObject({ outcome: 'acted', reason: 'deleted' });
    expect(actionWrites(ns, since)).toHaveLength(1);
  });

  it('Lease corrupted: dry-run budget-unavailable, and the functions never reset it', async () => {
    const ns = await createTestNamespace(cluster, 'budget-corrupt');
    const since = Date.now() - 1;
    const fn = await start(deletePodSpec);
    for (const broken of ['{not json', '{"slots":[]}', '[{"id":1}]']) {
      await setSlotsAnnotation(cluster, broken);
      const alert = await podAndAlert(ns, `victim-${broken.length}`);
      expect(JSON.parse((await postJson(fn.url, alert)).body)).toMatchObject({
        outcome: 'dry-run',
        reason: 'budget-unavailable',
        message: expect.stringContaining('never reset automatically'),
      });
      expect((await readLease(cluster))!.metadata!.annotations![BUDGET_SLOTS_ANNOTATION]).toBe(broken);
    }
    expect(actionWrites(ns, since)).toHaveLength(0);
  });

  it('its Role removed mid-run: forbidden is budget-unavailable, not an action; acts again once the binding is back', async () => {
    const ns = await createTestNamespace(cluster, 'budget-forbidden');
    const since = Date.now() - 1;
    const fn = await start(deletePodSpec);
    const rbac = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(RbacAuthorizationV1Api);
    const binding = await rbac.readNamespacedRoleBinding({ namespace: 'falco-response', name: 'falco-response-delete-pod' });
    await rbac.deleteNamespacedRoleBinding({ namespace: 'falco-response', name: 'falco-response-delete-pod' });
    try {
      const alert = await podAndAlert(ns, 'victim');
      // RBAC changes reach the authorizer's cache within a moment: wait for the refusal.
      let answer: any;
      for (let i = 0; i < 50; i++) {
        answer = JSON.parse((await postJson(fn.url, alert)).body);
        if (answer.reason === 'budget-unavailable') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toMatchObject({ outcome: 'dry-run', reason: 'budget-unavailable', message: expect.stringContaining('forbidden') });
      expect(actionWrites(ns, since)).toHaveLength(0);
    } finally {
      await functionToken(cluster, deletePodSpec); // re-creates the binding as shipped
    }
    expect(binding.roleRef.kind).toBe('Role');
    const again = await podAndAlert(ns, 'victim-2');
    expect(JSON.parse((await postJson(fn.url, again)).body)).toMatchObject({ outcome: 'acted' });
  });

  it('API unavailable while the slot is being taken: 503 with Retry-After, no action; acts once the API answers again', async () => {
    const ns = await createTestNamespace(cluster, 'budget-down');
    const since = Date.now() - 1;
    const proxy = await startFaultProxy(cluster);
    try {
      const fn = await startFunctionUnderTest(
        { ...cluster, server: proxy.url },
        deletePodSpec,
        { ...BUDGET, KUBE_RETRIES: '2' },
        await functionToken(cluster, deletePodSpec),
      );
      started.push(fn);
      let down = true;
      proxy.setRule(({ method, path }) =>
        down && method === 'PATCH' && path.includes('/leases/') ? { kind: 'status', status: 503 } : { kind: 'pass' },
      );
      const alert = await podAndAlert(ns, 'victim');
      const answer = await postJson(fn.url, alert);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'error', reason: 'api-unavailable' });
      expect(actionWrites(ns, since)).toHaveLength(0);
      expect(await budgetSlots(cluster)).toEqual([]);
      down = false;
      expect(JSON.parse((await postJson(fn.url, alert)).body)).toMatchObject({ outcome: 'acted', reason: 'deleted' });
      expect(actionWrites(ns, since)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('what takes a slot', () => {
  it('a dry-run takes none, a repeat answered from memory takes none, an action takes one that names it', async () => {
    const ns = await createTestNamespace(cluster, 'budget-slots');
    const pod = await createPod(api, ns, 'victim');
    const alert = alertFor(ns, 'victim', shortContainerId(pod));
    const dry = await start(deletePodSpec, { DRY_RUN: 'true' });
    expect(JSON.parse((await postJson(dry.url, alert)).body)).toMatchObject({ outcome: 'dry-run', reason: 'delete' });
    expect(await budgetSlots(cluster)).toEqual([]);
    const fn = await start(deletePodSpec);
    expect(JSON.parse((await postJson(fn.url, alert)).body)).toMatchObject({ outcome: 'acted' });
    expect(JSON.parse((await postJson(fn.url, alert)).body)).toMatchObject({ reason: 'already-handled' });
    const slots = await budgetSlots(cluster);
    expect(slots).toEqual([
      expect.objectContaining({
        fn: 'delete-pod',
        target: `${ns}/victim`,
        key: shortContainerId(pod),
        regarding: expect.objectContaining({ kind: 'Pod', name: 'victim', uid: pod.metadata!.uid }),
      }),
    ]);
  });

  it('kubectl apply of the shipped manifests again (client-side, then server-side) keeps the slots taken', async () => {
    const ns = await createTestNamespace(cluster, 'budget-reapply');
    const pod = await createPod(api, ns, 'victim');
    const fn = await start(deletePodSpec);
    expect(JSON.parse((await postJson(fn.url, alertFor(ns, 'victim', shortContainerId(pod)))).body)).toMatchObject({ outcome: 'acted' });
    const taken = await budgetSlots(cluster);
    expect(taken).toHaveLength(1);
    // The Lease exactly as knative/10-rbac.yaml ships it (the shared one; the others are alike).
    const shipped = readFileSync(join(repoRoot, 'knative/10-rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .find((doc) => /kind: Lease/.test(doc) && /name: falco-response-budget$/m.test(doc))!;
    const file = join(mkdtempSync(join(tmpdir(), 'frf-lease-')), 'lease.yaml');
    writeFileSync(file, shipped);
    await kubectl(cluster, ['apply', '-f', file]);
    await kubectl(cluster, ['apply', '-f', file]);
    expect(await budgetSlots(cluster)).toEqual(taken);
    await kubectl(cluster, ['apply', '--server-side', '--force-conflicts', '-f', file]);
    expect(await budgetSlots(cluster)).toEqual(taken);
  });

  it('BUDGET_LEASE=falco-response-budget-<fn> gives a function a budget of its own', async () => {
    const ns = await createTestNamespace(cluster, 'budget-own');
    const pod = await createPod(api, ns, 'victim');
    const fn = await start(deletePodSpec, { BUDGET_LEASE: 'falco-response-budget-delete-pod' });
    expect(JSON.parse((await postJson(fn.url, alertFor(ns, 'victim', shortContainerId(pod)))).body)).toMatchObject({ outcome: 'acted' });
    expect(await budgetSlots(cluster)).toEqual([]);
    expect(await budgetSlots(cluster, 'falco-response-budget-delete-pod')).toHaveLength(1);
    await setSlotsAnnotation(cluster, undefined, 'falco-response-budget-delete-pod');
  });
});

describe('k8saudit alerts on the reacting cluster', () => {
  it('"Attach/Exec Pod" for a running pod deletes it; for a pod created after the alert, stale-target with no write', async () => {
    const ns = await createTestNamespace(cluster, 'k8saudit');
    const since = Date.now() - 1;
    const fn = await start(deletePodSpec);
    const exec = (pod: string, time: Date) => {
      const alert = k8sAuditAlert('attach-exec-pod');
      Object.assign(alert.output_fields, { 'ka.target.namespace': ns, 'ka.target.name': pod });
      return { ...alert, time: time.toISOString() };
    };
    await createPod(api, ns, 'shell-target');
    expect(JSON.parse((await postJson(fn.url, exec('shell-target', new Date()))).body)).toMatchObject({
      outcome: 'acted',
      reason: 'deleted',
    });
    const alertTime = new Date(Date.now() - 5000);
    await createPod(api, ns, 'recreated');
    expect(JSON.parse((await postJson(fn.url, exec('recreated', alertTime))).body)).toMatchObject({
      outcome: 'skipped',
      reason: 'stale-target',
      message: expect.stringContaining('after the alert'),
    });
    expect(actionWrites(ns, since)).toHaveLength(1);
  });
});
