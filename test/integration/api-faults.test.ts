// API server faults: stopped, slow, throttling, failing. The function must answer a
// retryable 5xx (never a crash, never a false success) and recover when the server does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { countWrites } from '../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { startTestCluster, type ClusterCoords, type TestCluster } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { adminApis } from '../../testbed/workloads/admin-apis.ts';
// The stopped API server is a private bare one (nothing else may write while it is down): hand-made pods.
import { createPod as createHandMadePod, podExists } from '../../testbed/workloads/hand-made.ts';
import { createPod, waitForPodGone } from '../../testbed/workloads/pods.ts';
import { startFaultProxy, type FaultProxy } from '../../testbed/net/fault-proxy.ts';
import { budgetSlots } from '../../testbed/cluster/budget-lease.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../testbed/functions/function-under-test.ts';
import { postJson, sendRequest } from '../../testbed/net/http-client.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';

async function send(fn: FunctionUnderTest, alert: unknown) {
  const answer = await postJson(fn.url, alert);
  return { status: answer.status, retryAfter: answer.headers['retry-after'], decision: JSON.parse(answer.body) };
}

describe('the API server stopped mid-suite and started again', () => {
  let cluster: TestCluster;
  let fn: FunctionUnderTest;
  beforeAll(async () => {
    cluster = await startTestCluster({ bare: true });
    fn = await startFunctionUnderTest(cluster, deletePodSpec, { KUBE_TIMEOUT_MS: '1000', KUBE_RETRIES: '2' });
  });
  afterAll(async () => {
    await fn?.close();
    await cluster?.stop();
  });

  it('answers 503 with Retry-After while it is down, keeps serving, and acts once it is back', async () => {
    const api = adminApis(cluster);
    const ns = await createTestNamespace(cluster, 'faults');
    await createHandMadePod(api, ns, 'alpine');
    await cluster.stopApiServer();
    const down = await send(fn, alertFor(ns, 'alpine'));
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBeDefined();
    expect(down.decision).toMatchObject({ outcome: 'error', reason: 'api-unavailable' });
    expect((await sendRequest(fn.url, 'GET', '/healthz', {})).status).toBe(200);
    await cluster.startApiServer();
    const up = await send(fn, alertFor(ns, 'alpine'));
    expect(up).toMatchObject({ status: 200, decision: { outcome: 'acted', reason: 'deleted' } });
    expect(await podExists(api, ns, 'alpine')).toBeUndefined();
  });
});

describe('the API server stopped while a budget slot is being taken', () => {
  let cluster: TestCluster;
  let proxy: FaultProxy;
  beforeAll(async () => {
    cluster = await startTestCluster({ bare: true });
    proxy = await startFaultProxy(cluster);
  });
  afterAll(async () => {
    await proxy?.close();
    await cluster?.stop();
  });

  it('no action and 503 with Retry-After; the budget holds no slot; acts once the API server is back', async () => {
    const api = adminApis(cluster);
    const ns = await createTestNamespace(cluster, 'budget-stop');
    await createHandMadePod(api, ns, 'alpine');
    const token = await functionToken(cluster, deletePodSpec);
    const fn = await startFunctionUnderTest(
      { ...cluster, server: proxy.url },
      deletePodSpec,
      { BUDGET: 'cluster', KUBE_TIMEOUT_MS: '1000', KUBE_RETRIES: '2' },
      token,
    );
    try {
      // The Lease's apply is held while the API server stops: it arrives at a server that is gone.
      let held = false;
      proxy.setRule(({ method, path }) => {
        if (held || method !== 'PATCH' || !path.includes('/leases/')) return { kind: 'pass' };
        held = true;
        return { kind: 'delay', ms: 1500 };
      });
      const answering = send(fn, alertFor(ns, 'alpine'));
      for (let i = 0; i < 100 && !held; i++) await new Promise((r) => setTimeout(r, 20));
      expect(held).toBe(true);
      await cluster.stopApiServer();
      const down = await answering;
      expect(down.status).toBe(503);
      expect(down.retryAfter).toBeDefined();
      expect(down.decision).toMatchObject({ outcome: 'error', reason: 'api-unavailable' });
      await cluster.startApiServer();
      expect(await podExists(api, ns, 'alpine')).toBeDefined();
      expect(
        countWrites(cluster, {
          user: 'system:serviceaccount:falco-response:delete-pod',
          namespace: ns,
          resource: 'pods',
          succeededOnly: true,
        }),
      ).toBe(0);
      expect(await budgetSlots(cluster)).toEqual([]);
      const up = await send(fn, alertFor(ns, 'alpine'));
      expect(up).toMatchObject({ status: 200, decision: { outcome: 'acted', reason: 'deleted' } });
      expect(await podExists(api, ns, 'alpine')).toBeUndefined();
    } finally {
      await fn.close();
    }
  });
});

describe('a fault-injecting proxy in front of the API server', () => {
  let cluster: ClusterCoords;
  let proxy: FaultProxy;
  let deleteToken: string;
  const started: FunctionUnderTest[] = [];
  beforeAll(async () => {
    cluster = useCluster();
    proxy = await startFaultProxy(cluster);
    deleteToken = await functionToken(cluster, deletePodSpec);
  });
  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.close()));
    await proxy?.close();
  });
  async function behindProxy(spec: ResponseFunctionSpec = deletePodSpec, token = deleteToken) {
    const fn = await startFunctionUnderTest({ ...cluster, server: proxy.url }, spec, { KUBE_TIMEOUT_MS: '500', KUBE_RETRIES: '3' }, token);
    started.push(fn);
    return fn;
  }
  async function setUp(prefix: string) {
    const api = adminApis(cluster);
    const ns = await createTestNamespace(cluster, prefix);
    await createPod(api, ns, 'alpine');
    return { api, ns, since: Date.now() - 1 };
  }

  it('429 with Retry-After: retried after the hinted delay, then acts once', async () => {
    const fn = await behindProxy();
    const { api, ns, since } = await setUp('throttled');
    let throttled = 0;
    proxy.setRule(({ method }) =>
      method === 'DELETE' && throttled++ < 2 ? { kind: 'status', status: 429, retryAfter: 1, reason: 'TooManyRequests' } : { kind: 'pass' },
    );
    const started = Date.now();
    const { status, decision } = await send(fn, alertFor(ns, 'alpine'));
    expect(status).toBe(200);
    expect(decision.outcome).toBe('acted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await waitForPodGone(api, ns, 'alpine');
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, resource: 'pods', since, succeededOnly: true })).toBe(1);
  });

  it('500s that do not stop: a retryable 503 answer and no write', async () => {
    const fn = await behindProxy();
    const { api, ns, since } = await setUp('failing');
    proxy.setRule(({ method }) => (method === 'DELETE' ? { kind: 'status', status: 500 } : { kind: 'pass' }));
    const before = proxy.requests.length;
    const { status, decision } = await send(fn, alertFor(ns, 'alpine'));
    expect(status).toBe(503);
    expect(decision).toMatchObject({ outcome: 'error', reason: 'api-unavailable' });
    // KUBE_RETRIES=3 attempts, then the answer.
    expect(proxy.requests.slice(before).filter((r) => r.method === 'DELETE' && r.fault === 'status').length).toBe(3);
    expect(await podExists(api, ns, 'alpine')).toBeDefined();
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, since })).toBe(0);
    proxy.setRule(() => ({ kind: 'pass' }));
    expect((await send(fn, alertFor(ns, 'alpine'))).decision.outcome).toBe('acted');
  });

  it('slow beyond the timeout: the call is abandoned, the answer is 503, nothing was written', async () => {
    const fn = await behindProxy();
    const { api, ns, since } = await setUp('slow');
    proxy.setRule(({ method }) => (method === 'GET' ? { kind: 'delay', ms: 2000 } : { kind: 'pass' }));
    const started = Date.now();
    const { status, decision } = await send(fn, alertFor(ns, 'alpine'));
    expect(status).toBe(503);
    expect(decision.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await podExists(api, ns, 'alpine')).toBeDefined();
    expect(countWrites(cluster, { user: fn.identity, namespace: ns, since })).toBe(0);
    proxy.setRule(() => ({ kind: 'pass' }));
  });

  it('409 on the label patch (the pod changed under us): re-read, no false success', async () => {
    const token = await functionToken(cluster, isolatePodSpec);
    const fn = await behindProxy(isolatePodSpec, token);
    const { ns } = await setUp('conflict');
    proxy.setRule(({ method }) => (method === 'PATCH' ? { kind: 'status', status: 409, reason: 'Conflict' } : { kind: 'pass' }));
    const { status, decision } = await send(fn, alertFor(ns, 'alpine'));
    // The pod is not labelled after the re-read: the conflict is reported as retryable, not as isolated.
    expect(status).toBe(503);
    expect(decision).toMatchObject({ outcome: 'error' });
    proxy.setRule(() => ({ kind: 'pass' }));
    expect((await send(fn, alertFor(ns, 'alpine'))).decision).toMatchObject({ outcome: 'acted', reason: 'isolated' });
  });
});
