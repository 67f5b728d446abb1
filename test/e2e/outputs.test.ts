// End to end, over each Falcosidekick output that reaches the functions: a real Falco alert
// goes from a real sender over a socket to the function's bundle running as in its image
// (its own process, Node 24, $PORT, its ServiceAccount's token), which acts on the real
// kube-apiserver of the integration harness. What changed is read back from the API server,
// and the writes are counted from its audit log by the function's identity.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { countWrites } from '../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { startOpenFaasGateway, type Gateway } from '../../testbed/senders/openfaas-gateway.ts';
import { ensureBundles, type FunctionName } from '../../testbed/functions/bundles.ts';
import { cloudEventsSenderPath } from '../../testbed/senders/cloudevents-sender.ts';
import { assertImageNode, startFunctionProcess, type FunctionProcess } from '../../testbed/functions/function-process.ts';
import {
  cloudEventsBinary,
  cloudEventsViaBroker,
  openFaasOutput,
  webhookOutput,
  type FalcosidekickOutput,
  type OutputAnswer,
} from '../../testbed/senders/outputs.ts';
import { optOut, RESPONSE_CASES, type ResponseCase } from './response-cases.ts';
import { DECISION_EVENT_TYPE } from '../../shared/runtime/reply.ts';
import { testAlertNow } from '../../testbed/alerts/test-alert.ts';

let cluster: ClusterCoords;
let api: AdminApis;
let gateway: Gateway | undefined;
const functions = new Map<FunctionName, FunctionProcess>();

const OUTPUTS: readonly FalcosidekickOutput[] = [
  cloudEventsBinary,
  cloudEventsViaBroker,
  openFaasOutput(() => gateway!.url),
  webhookOutput,
];

beforeAll(async () => {
  assertImageNode();
  ensureBundles();
  cloudEventsSenderPath();
  cluster = useCluster();
  api = adminApis(cluster);
  // As deployed: default configuration, no token (the OpenFaaS output cannot carry one).
  const started = await Promise.all(RESPONSE_CASES.map((c) => startFunctionProcess(cluster, c.spec)));
  for (const fn of started) functions.set(fn.name, fn);
  gateway = await startOpenFaasGateway(Object.fromEntries(started.map((fn) => [fn.name, fn.url])));
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([...functions.values()].map((fn) => fn.stop()));
});

let unique = 0;
const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++unique}`;

function showLogsOnFailure(fn: FunctionProcess): void {
  onTestFailed(() => {
    console.error(`--- ${fn.name} log (last 30 lines) ---\n${fn.output().trimEnd().split('\n').slice(-30).join('\n')}`);
  });
}

function expectCloudEventReply(answer: OutputAnswer, outcome: string, subject?: string): void {
  if (!answer.cloudEvent) return;
  const { cloudEvent } = answer;
  expect(cloudEvent.ack).toBe(true);
  expect(cloudEvent.replyValid).toBe(true);
  expect(cloudEvent.reply).toMatchObject({
    specversion: '1.0',
    type: DECISION_EVENT_TYPE,
    source: expect.stringMatching(/^\/falco-response-functions\//),
    outcome,
  });
  if (subject) expect(cloudEvent.reply!.subject).toBe(subject);
}

function writesIn(fn: FunctionProcess, namespace: string, since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of ['pods', 'networkpolicies', 'deployments', 'replicasets', 'events']) {
    const n = countWrites(cluster, { user: fn.identity, namespace, resource, since, succeededOnly: true });
    if (n > 0) counts[resource] = n;
  }
  return counts;
}

describe.for(RESPONSE_CASES)('$spec.name', (responseCase: ResponseCase) => {
  const fn = () => functions.get(responseCase.spec.name)!;

  describe.for(OUTPUTS)('over the $name', (output) => {
    it(`${responseCase.does} when a real alert names it: 2xx, the change is in the API server, writes audited`, async () => {
      showLogsOnFailure(fn());
      const namespace = await createTestNamespace(cluster, `e2e-${responseCase.spec.name}`);
      const target = await responseCase.prepare(api, namespace, 'shell');
      const since = Date.now();

      const answer = await output.send(fn(), alertFor(namespace, target.pod, target.containerId));

      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({
        function: responseCase.spec.name,
        outcome: 'acted',
        reason: responseCase.actedReason,
        target: { namespace, pod: target.pod },
      });
      expectCloudEventReply(answer, 'acted', `${namespace}/${target.pod}`);
      await responseCase.expectActed(api, target);
      expect(writesIn(fn(), namespace, since)).toEqual(responseCase.writesPerAction);
      // Plus one: the slot of the cluster-wide action budget (an update of its Lease).
      expect(
        countWrites(cluster, { user: fn().identity, namespace: 'falco-response', resource: 'leases', since, succeededOnly: true }),
      ).toBe(1);
      // Plus one: the evidence kept before the action, a Secret in the evidence namespace (the only one it may create Secrets in).
      expect(
        countWrites(cluster, {
          user: fn().identity,
          namespace: 'falco-response-evidence',
          resource: 'secrets',
          verbs: ['create'],
          since,
          succeededOnly: true,
        }),
      ).toBe(1);
      expect(answer.decision.details?.evidenceRecord).toMatchObject({
        result: 'complete',
        secret: expect.stringMatching(new RegExp(`^falco-response-evidence/${responseCase.spec.name}-[0-9a-f-]{36}$`)),
      });
      expect(countWrites(cluster, { user: fn().identity, since, succeededOnly: true })).toBe(
        Object.values(responseCase.writesPerAction).reduce((a, b) => a + b) + 2,
      );
    });

    it('changes nothing for a pod in a protected namespace or an opted-out pod: 2xx skipped, zero writes', async () => {
      showLogsOnFailure(fn());
      const namespace = await createTestNamespace(cluster, `e2e-${responseCase.spec.name}`);
      const protectedTarget = await responseCase.prepare(api, 'kube-system', uniqueName(`e2e-${responseCase.spec.name}`));
      const optedOut = await responseCase.prepare(api, namespace, 'debugging');
      await optOut(api, optedOut);
      const since = Date.now();

      const inProtected = await output.send(fn(), alertFor('kube-system', protectedTarget.pod, protectedTarget.containerId));
      const onOptedOut = await output.send(fn(), alertFor(namespace, optedOut.pod, optedOut.containerId));

      expect(inProtected.status).toBe(200);
      expect(inProtected.decision).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
      expectCloudEventReply(inProtected, 'skipped');
      expect(onOptedOut.status).toBe(200);
      expect(onOptedOut.decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
      expectCloudEventReply(onOptedOut, 'skipped');
      await responseCase.expectUntouched(api, protectedTarget);
      await responseCase.expectUntouched(api, optedOut);
      expect(countWrites(cluster, { user: fn().identity, since })).toBe(0);
    });

    it("answers Falcosidekick's /test alert 2xx skipped (its Debug priority is below the default MIN_PRIORITY)", async () => {
      showLogsOnFailure(fn());
      const since = Date.now();
      const answer = await output.send(fn(), testAlertNow());
      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({
        outcome: 'skipped',
        reason: 'priority-below-minimum',
        alert: { rule: 'Test rule', priority: 'debug' },
      });
      expectCloudEventReply(answer, 'skipped');
      expect(countWrites(cluster, { user: fn().identity, since })).toBe(0);
    });
  });
});
