// Alert storms against the real API server: Falco fires many alerts per incident, and a bad
// rule can match every pod. Writes are counted from the API server's audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { countWrites, readAudit } from '../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { burst, onlyAcceptableAnswers, tally } from '../../testbed/senders/burst.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { createPod, shortContainerId, waitForPodGone } from '../../testbed/workloads/pods.ts';
import { createDeploymentWithPod } from '../../testbed/workloads/controllers.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../../testbed/functions/function-under-test.ts';

let cluster: ClusterCoords;
let api: AdminApis;
const started: FunctionUnderTest[] = [];
beforeAll(() => {
  cluster = useCluster();
  api = adminApis(cluster);
});
afterAll(async () => {
  await Promise.all(started.map((fn) => fn.close()));
});

async function instances(spec: ResponseFunctionSpec, count: number, env: Record<string, string> = {}) {
  const token = await functionToken(cluster, spec);
  const fns = [];
  for (let i = 0; i < count; i++) fns.push(await startFunctionUnderTest(cluster, spec, env, token));
  started.push(...fns);
  return fns;
}

/** Successful and refused writes of one resource by one identity, from the audit log. */
function writesTo(identity: string, namespace: string, resource: string, since: number, subresource?: string) {
  const events = readAudit(cluster, { user: identity, namespace, resource, since }).filter(
    (e) =>
      ['create', 'update', 'patch', 'delete'].includes(e.verb) && (subresource === undefined || e.objectRef?.subresource === subresource),
  );
  const ok = events.filter((e) => (e.responseStatus?.code ?? 0) < 300);
  return { succeeded: ok.length, refused: events.filter((e) => (e.responseStatus?.code ?? 0) >= 400).map((e) => e.responseStatus?.code) };
}

describe('1,000 alerts for the same pod in a burst', () => {
  it('delete-pod, one instance: exactly one delete; every answer 2xx or 429/503 with Retry-After', async () => {
    const [fn] = await instances(deletePodSpec, 1);
    const ns = await createTestNamespace(cluster, 'storm-one');
    const id = { short: shortContainerId(await createPod(api, ns, 'alpine')) };
    const since = Date.now() - 1;
    const body = JSON.stringify(alertFor(ns, 'alpine', id.short));
    const answers = await burst(
      fn!.url,
      Array.from({ length: 1000 }, () => body),
    );
    expect(onlyAcceptableAnswers(answers), JSON.stringify(tally(answers))).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(writesTo(fn!.identity, ns, 'pods', since).succeeded).toBe(1);
    await waitForPodGone(api, ns, 'alpine');
    const outcomes = answers.filter((a) => a.status === 200).map((a) => JSON.parse(a.body).reason as string);
    expect(outcomes.filter((r) => r === 'deleted')).toHaveLength(1);
  });

  it('delete-pod, two instances sharing the API server: one delete; the other attempts are refused by the server (404 gone, 409 resourceVersion precondition), not by luck', async () => {
    const fns = await instances(deletePodSpec, 2);
    const ns = await createTestNamespace(cluster, 'storm-two');
    const id = { short: shortContainerId(await createPod(api, ns, 'alpine')) };
    const since = Date.now() - 1;
    const body = JSON.stringify(alertFor(ns, 'alpine', id.short));
    const answers = (
      await Promise.all(
        fns.map((fn) =>
          burst(
            fn.url,
            Array.from({ length: 500 }, () => body),
            50,
          ),
        ),
      )
    ).flat();
    expect(onlyAcceptableAnswers(answers), JSON.stringify(tally(answers))).toBe(true);
    const deletes = writesTo(fns[0]!.identity, ns, 'pods', since);
    expect(deletes.succeeded).toBe(1);
    expect(deletes.refused.every((code) => code === 404 || code === 409)).toBe(true);
  });

  it('isolate-pod, two instances: one NetworkPolicy create and one pod label patch succeed; racing writes get 409', async () => {
    const fns = await instances(isolatePodSpec, 2);
    const ns = await createTestNamespace(cluster, 'storm-isolate');
    await createPod(api, ns, 'alpine');
    const since = Date.now() - 1;
    const body = JSON.stringify(alertFor(ns, 'alpine'));
    const answers = (
      await Promise.all(
        fns.map((fn) =>
          burst(
            fn.url,
            Array.from({ length: 500 }, () => body),
            50,
          ),
        ),
      )
    ).flat();
    expect(onlyAcceptableAnswers(answers), JSON.stringify(tally(answers))).toBe(true);
    const policies = writesTo(fns[0]!.identity, ns, 'networkpolicies', since);
    const labels = writesTo(fns[0]!.identity, ns, 'pods', since);
    expect(policies.succeeded).toBe(1);
    expect(labels.succeeded).toBe(1);
    expect([...policies.refused, ...labels.refused].every((code) => code === 409)).toBe(true);
    expect((await api.networking.listNamespacedNetworkPolicy({ namespace: ns })).items).toHaveLength(1);
  });

  it('scale-to-zero, two instances: one scale write; the racing one is refused by the resourceVersion precondition', async () => {
    const fns = await instances(scaleToZeroSpec, 2);
    const ns = await createTestNamespace(cluster, 'storm-scale');
    const { podName } = await createDeploymentWithPod(api, ns, 'web', { replicas: 3 });
    const since = Date.now() - 1;
    const body = JSON.stringify(alertFor(ns, podName));
    const answers = (
      await Promise.all(
        fns.map((fn) =>
          burst(
            fn.url,
            Array.from({ length: 500 }, () => body),
            50,
          ),
        ),
      )
    ).flat();
    expect(onlyAcceptableAnswers(answers), JSON.stringify(tally(answers))).toBe(true);
    expect(writesTo(fns[0]!.identity, ns, 'deployments', since, 'scale').succeeded).toBe(1);
    const annotations = writesTo(fns[0]!.identity, ns, 'deployments', since, undefined);
    expect(annotations.refused.every((code) => code === 409)).toBe(true);
    const deployment = await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    expect(deployment.metadata?.annotations?.['falco-response.dev/previous-replicas']).toBe('3');
  });
});

describe('200 alerts for 200 different pods in a burst', () => {
  it('the blast-radius limit holds: MAX_ACTIONS deletes, the rest dry-run decisions, and the alarm is raised', async () => {
    const [fn] = await instances(deletePodSpec, 1, { MAX_ACTIONS: '10', ACTIONS_WINDOW_SECONDS: '600' });
    const ns = await createTestNamespace(cluster, 'storm-many');
    const names = Array.from({ length: 200 }, (_, i) => `pod-${i}`);
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((name) => createPod(api, ns, name)));
    const since = Date.now() - 1;
    const answers = await burst(
      fn!.url,
      names.map((name) => JSON.stringify(alertFor(ns, name))),
      50,
    );
    expect(onlyAcceptableAnswers(answers), JSON.stringify(tally(answers))).toBe(true);
    const decisions = answers.filter((a) => a.status === 200).map((a) => JSON.parse(a.body));
    expect(decisions.filter((d) => d.outcome === 'acted')).toHaveLength(10);
    expect(decisions.filter((d) => d.reason === 'blast-radius-limit').length).toBe(decisions.length - 10);
    expect(countWrites(cluster, { user: fn!.identity, namespace: ns, resource: 'pods', since, succeededOnly: true })).toBe(10);
    expect((await api.core.listNamespacedPod({ namespace: ns })).items.filter((pod) => !pod.metadata?.deletionTimestamp)).toHaveLength(190);
    expect(await fn!.metrics.registry.getSingleMetricAsString('falco_response_blast_radius_limit_reached_total')).toMatch(
      new RegExp(` ${decisions.length - 10}$`, 'm'),
    );
  });
});
