// Fuzzing where alerts name their targets: k8saudit fields (ka.target.*), cluster stamps,
// k8s.* names, container ids, priorities and times, generated around the shapes Falco and
// Falcosidekick send. The real delete-pod acts as its own ServiceAccount against the
// reacting cluster, guarding cluster "prod-eu"; the pod "victim" exists and must survive:
// no generated alert is both for this cluster and for a pod it could act on. 10,000 inputs,
// no 5xx, no crash, and the API server's audit log shows zero writes by the function.
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { falcoAlert, k8sAuditAlert } from '../../testbed/alerts/fixtures.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { countWrites } from '../../testbed/cluster/audit.ts';
import { useFunctionTestBed } from '../../testbed/functions/function-test-bed.ts';
import { postJson } from '../../testbed/net/http-client.ts';
import { createPod, podExists, shortContainerId } from '../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(deletePodSpec);
let victimId: string;
let ns: string;
beforeAll(async () => {
  ns = await createTestNamespace(bed.cluster, 'fuzz-targets');
  victimId = shortContainerId(await createPod(bed.api, ns, 'victim'));
});

it('10,000 generated alerts (k8saudit targets, cluster stamps, names, ids): every answer 2xx or 4xx, zero writes, the pod untouched', async () => {
  const fn = await bed.start({ CLUSTER_NAME: 'prod-eu', BUDGET: 'cluster', BUDGET_MAX_ACTIONS: '10', MIN_PRIORITY: 'debug' });
  const since = Date.now() - 1;
  const anyText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', '<NA>', ' ', 'victim', ns, 'kube-system', 'KUBE-SYSTEM', 'pods', 'secrets'),
  );
  const value = fc.oneof(anyText, fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyText, { maxLength: 3 }));
  // Never this cluster's stamp (fields are read trimmed, as every alert field is: "prod-eu " is
  // prod-eu), so nothing generated may act, whatever else it holds.
  const cluster = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('prod-us', 'PROD-EU', 'prod-eu-2', ''),
    anyText.filter((text) => text.trim() !== 'prod-eu'),
  );
  const base = fc.constantFrom(
    k8sAuditAlert('attach-exec-pod'),
    k8sAuditAlert('secret-get'),
    k8sAuditAlert('namespace-created'),
    falcoAlert('terminal-shell-tekton'),
  );
  const fieldNames = fc.constantFrom(
    'ka.target.resource',
    'ka.target.namespace',
    'ka.target.name',
    'ka.target.subresource',
    'k8s.ns.name',
    'k8s.pod.name',
    'container.id',
    'cluster',
    'ka.user.name',
  );
  const input = fc.record({
    base,
    cluster,
    aimAtVictim: fc.boolean(),
    overrides: fc.dictionary(fieldNames, value, { maxKeys: 4 }),
    priority: fc.constantFrom('Notice', 'Critical', 'debug', 'Emergency', 'bogus'),
    time: fc.oneof(
      fc.constant(() => new Date().toISOString()),
      fc.constant(() => '9999-12-31T23:59:59Z'),
      fc.constant(() => 'yesterday'),
    ),
  });
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(input, async ({ base, cluster, aimAtVictim, overrides, priority, time }) => {
      const alert = structuredClone(base) as Record<string, any>;
      if (aimAtVictim)
        Object.assign(alert.output_fields, {
          'ka.target.resource': 'pods',
          'ka.target.namespace': ns,
          'ka.target.name': 'victim',
          'k8s.ns.name': ns,
          'k8s.pod.name': 'victim',
          'container.id': victimId,
        });
      Object.assign(alert.output_fields, overrides);
      if (overrides.cluster === 'prod-eu' || (typeof overrides.cluster === 'string' && overrides.cluster.trim() === 'prod-eu'))
        delete alert.output_fields.cluster;
      if (cluster === undefined) delete alert.output_fields.cluster;
      else alert.output_fields.cluster = cluster;
      alert.priority = priority;
      alert.time = time();
      const answer = await postJson(fn.url, alert);
      sent++;
      expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${answer.status} ${answer.body}`).toBe(true);
      if (answer.status === 200) expect(JSON.parse(answer.body).outcome).not.toBe('acted');
    }),
    { numRuns: 10_000 },
  );
  expect(sent).toBeGreaterThanOrEqual(10_000);
  expect(countWrites(bed.cluster, { user: fn.identity, since })).toBe(0);
  expect(await podExists(bed.api, ns, 'victim')).toBeDefined();
}, 600_000);
