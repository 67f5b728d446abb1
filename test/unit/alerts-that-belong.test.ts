// Alerts that act only where they belong: the cluster guard (CLUSTER_NAME against the
// cluster Falcosidekick stamps into output_fields) and the pod a k8saudit alert names. The
// real delete-pod, offline: every decision before the cluster is made for real.
import { afterAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { toFalcoAlert } from '../../shared/alert/falco-alert.ts';
import { startOfflineFunction } from '../../testbed/functions/offline-function.ts';
import { falcoAlert, freshAlert, k8sAuditAlert } from '../../testbed/alerts/fixtures.ts';
import { postJson } from '../../testbed/net/http-client.ts';

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function startDeletePod(env: Record<string, string> = {}) {
  const fn = await startOfflineFunction(deletePodSpec, env);
  closers.push(() => fn.close());
  return fn.url;
}

const decide = async (url: string, alert: unknown) => JSON.parse((await postJson(url, alert)).body);
const stamped = (cluster: unknown) => {
  const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
  if (cluster !== undefined) alert.output_fields.cluster = cluster;
  return alert;
};

describe('the cluster guard (CLUSTER_NAME)', () => {
  it("acts on an alert stamped with its cluster; skips another cluster's (other-cluster) and an unstamped one (no-cluster-field)", async () => {
    const url = await startDeletePod({ CLUSTER_NAME: 'prod-eu' });
    expect(await decide(url, stamped('prod-eu'))).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
    expect(await decide(url, stamped('prod-us'))).toMatchObject({
      outcome: 'skipped',
      reason: 'other-cluster',
      message: expect.stringContaining('"prod-us"'),
    });
    expect(await decide(url, stamped(undefined))).toMatchObject({
      outcome: 'skipped',
      reason: 'no-cluster-field',
      message: expect.stringContaining('CUSTOMFIELDS=cluster:prod-eu'),
    });
    expect(await decide(url, stamped(''))).toMatchObject({ reason: 'no-cluster-field' });
    expect(await decide(url, stamped(42))).toMatchObject({ reason: 'no-cluster-field' });
  });

  it("ALLOW_ALERTS_WITHOUT_CLUSTER=true acts on unstamped alerts but still never on another cluster's; CLUSTER_FIELD names the key", async () => {
    const url = await startDeletePod({ CLUSTER_NAME: 'prod-eu', CLUSTER_FIELD: 'k8s.cluster.name', ALLOW_ALERTS_WITHOUT_CLUSTER: 'true' });
    const alert = (value?: string) => {
      const a = freshAlert(falcoAlert('terminal-shell-tekton'));
      if (value !== undefined) a.output_fields['k8s.cluster.name'] = value;
      return a;
    };
    expect(await decide(url, alert())).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
    expect(await decide(url, alert('prod-eu'))).toMatchObject({ outcome: 'dry-run' });
    expect(await decide(url, alert('staging'))).toMatchObject({ outcome: 'skipped', reason: 'other-cluster' });
  });

  it('is off without CLUSTER_NAME: the field is ignored', async () => {
    const url = await startDeletePod();
    expect(await decide(url, stamped('anything'))).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
  });
});

describe('k8saudit alerts name their pod in ka.target.*', () => {
  it('"Attach/Exec Pod" (a kubectl exec) targets the pod it names', async () => {
    const alert = toFalcoAlert(k8sAuditAlert('attach-exec-pod') as never);
    expect(alert).toMatchObject({ namespace: 'shop', podName: 'web-7d4b9c8f6-x2x9k', targetSource: 'k8saudit', containerId: undefined });
    const url = await startDeletePod();
    const decision = await decide(url, freshAlert(k8sAuditAlert('attach-exec-pod')));
    expect(decision).toMatchObject({
      outcome: 'dry-run',
      reason: 'no-cluster',
      message: expect.stringContaining('shop/web-7d4b9c8f6-x2x9k'),
    });
  });

  it.each([['secret-get'], ['namespace-created']] as const)('%s names no pod: no-target', async (name) => {
    // The namespace rule is Informational: let every priority through to the target check.
    const url = await startDeletePod({ MIN_PRIORITY: 'debug' });
    expect(await decide(url, freshAlert(k8sAuditAlert(name)))).toMatchObject({ outcome: 'skipped', reason: 'no-target' });
  });

  it('the same guard rails apply: a protected namespace, an invalid name', async () => {
    const url = await startDeletePod();
    const exec = (namespace: string, pod: string) => {
      const alert = freshAlert(k8sAuditAlert('attach-exec-pod'));
      Object.assign(alert.output_fields, { 'ka.target.namespace': namespace, 'ka.target.name': pod });
      return alert;
    };
    expect(await decide(url, exec('kube-system', 'coredns-1'))).toMatchObject({ reason: 'protected-namespace' });
    expect(await decide(url, exec('shop', 'Not_A_Pod'))).toMatchObject({ reason: 'invalid-target' });
    const missing = freshAlert(k8sAuditAlert('attach-exec-pod'));
    delete missing.output_fields['ka.target.name'];
    expect(await decide(url, missing)).toMatchObject({ reason: 'no-target', message: expect.stringContaining('ka.target.name') });
  });

  it('k8s.* fields win when an alert carries both (a syscall alert enriched with audit fields)', () => {
    const both = freshAlert(falcoAlert('terminal-shell-tekton'));
    Object.assign(both.output_fields, { 'ka.target.resource': 'pods', 'ka.target.namespace': 'other', 'ka.target.name': 'other-pod' });
    expect(toFalcoAlert(both as never)).toMatchObject({ namespace: 'falcoresponse', podName: 'alpine', targetSource: 'container' });
  });
});
