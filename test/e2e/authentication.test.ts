// End to end with a shared token configured (AUTH_TOKEN), for each Falcosidekick output that
// can carry one: the webhook output as a custom header (`Authorization: Bearer …`), the
// cloudevents/Knative output as an extension attribute (`authtoken`, Ce-Authtoken in binary
// mode, a member of the event in structured mode, and it survives a Knative Broker). Sent as
// Falcosidekick would send it, the alert is acted on; without the token (or with a wrong one)
// the answer is 401 and nothing changes. The OpenFaaS output can carry neither, which is why
// it is deployed behind the gateway with the token off (see outputs.test.ts).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { countWrites } from '../../testbed/cluster/audit.ts';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { startOpenFaasGateway, type Gateway } from '../../testbed/senders/openfaas-gateway.ts';
import { DECISION_EVENT_TYPE } from '../../shared/runtime/reply.ts';
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
import { RESPONSE_CASES, type ResponseCase } from './response-cases.ts';
import { testAlertNow } from '../../testbed/alerts/test-alert.ts';

const TOKEN = randomBytes(18).toString('base64url');
const WRONG_TOKEN = randomBytes(18).toString('base64url');
const TOKEN_OUTPUTS: readonly FalcosidekickOutput[] = [webhookOutput, cloudEventsBinary, cloudEventsViaBroker];

let cluster: ClusterCoords;
let api: AdminApis;
let gateway: Gateway | undefined;
const functions = new Map<FunctionName, FunctionProcess>();

beforeAll(async () => {
  assertImageNode();
  ensureBundles();
  cloudEventsSenderPath();
  cluster = useCluster();
  api = adminApis(cluster);
  // MIN_PRIORITY=debug lets Falcosidekick's /test alert (priority Debug) pass the priority
  // filter, so it shows how the function answers an alert that names no pod.
  const env = { AUTH_TOKEN: TOKEN, MIN_PRIORITY: 'debug' };
  const started = await Promise.all(RESPONSE_CASES.map((c) => startFunctionProcess(cluster, c.spec, env)));
  for (const fn of started) functions.set(fn.name, fn);
  gateway = await startOpenFaasGateway(Object.fromEntries(started.map((fn) => [fn.name, fn.url])));
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([...functions.values()].map((fn) => fn.stop()));
});

function showLogsOnFailure(fn: FunctionProcess): void {
  onTestFailed(() => {
    console.error(`--- ${fn.name} log (last 30 lines) ---\n${fn.output().trimEnd().split('\n').slice(-30).join('\n')}`);
  });
}

function expectRefused(answer: OutputAnswer, message: string): void {
  expect(answer.status).toBe(401);
  expect(answer.decision).toMatchObject({ outcome: 'error', reason: 'bad-request', field: 'authorization', message });
  if (answer.cloudEvent) {
    // Refused, and the refusal itself is a CloudEvent the SDK accepts (a broker would not retry a 401).
    expect(answer.cloudEvent.ack).toBe(false);
    expect(answer.cloudEvent.replyValid).toBe(true);
    expect(answer.cloudEvent.reply).toMatchObject({ type: DECISION_EVENT_TYPE, outcome: 'error' });
  }
}

describe.for(RESPONSE_CASES)('$spec.name with AUTH_TOKEN', (responseCase: ResponseCase) => {
  const fn = () => functions.get(responseCase.spec.name)!;

  describe.for(TOKEN_OUTPUTS)('over the $name', (output) => {
    it('acts when the sender is configured as Falcosidekick would be, with the token', async () => {
      showLogsOnFailure(fn());
      const namespace = await createTestNamespace(cluster, `e2e-auth-${responseCase.spec.name}`);
      const target = await responseCase.prepare(api, namespace, 'shell');
      const since = Date.now();

      const answer = await output.send(fn(), alertFor(namespace, target.pod, target.containerId), TOKEN);

      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({ outcome: 'acted', reason: responseCase.actedReason, target: { namespace, pod: target.pod } });
      if (answer.cloudEvent) {
        expect(answer.cloudEvent.sent.extensions).toMatchObject({ authtoken: TOKEN });
        expect(answer.cloudEvent).toMatchObject({ ack: true, replyValid: true });
      }
      await responseCase.expectActed(api, target);
      // Plus two: the slot of the cluster-wide action budget (an update of its Lease) and the evidence Secret.
      expect(countWrites(cluster, { user: fn().identity, since, succeededOnly: true })).toBe(
        Object.values(responseCase.writesPerAction).reduce((a, b) => a + b) + 2,
      );
    });

    it('answers 401 without the token or with a wrong one, and nothing changes', async () => {
      showLogsOnFailure(fn());
      const namespace = await createTestNamespace(cluster, `e2e-auth-${responseCase.spec.name}`);
      const target = await responseCase.prepare(api, namespace, 'shell');
      const since = Date.now();

      expectRefused(await output.send(fn(), alertFor(namespace, target.pod, target.containerId)), 'missing token');
      expectRefused(await output.send(fn(), alertFor(namespace, target.pod, target.containerId), WRONG_TOKEN), 'wrong token');

      await responseCase.expectUntouched(api, target);
      expect(countWrites(cluster, { user: fn().identity, since })).toBe(0);
    });

    it("answers Falcosidekick's /test alert with the token 2xx skipped: it names no pod", async () => {
      showLogsOnFailure(fn());
      const since = Date.now();
      const answer = await output.send(fn(), testAlertNow(), TOKEN);
      expect(answer.status).toBe(200);
      expect(answer.decision).toMatchObject({ outcome: 'skipped', reason: 'no-target', alert: { rule: 'Test rule' } });
      if (answer.cloudEvent) expect(answer.cloudEvent).toMatchObject({ ack: true, replyValid: true });
      expect(countWrites(cluster, { user: fn().identity, since })).toBe(0);
    });
  });

  it('refuses the OpenFaaS output (it cannot carry a token): deploy that path behind the gateway with the token off', async () => {
    showLogsOnFailure(fn());
    const namespace = await createTestNamespace(cluster, `e2e-auth-${responseCase.spec.name}`);
    const target = await responseCase.prepare(api, namespace, 'shell');
    const since = Date.now();
    const answer = await openFaasOutput(() => gateway!.url).send(fn(), alertFor(namespace, target.pod, target.containerId));
    expectRefused(answer, 'missing token');
    await responseCase.expectUntouched(api, target);
    expect(countWrites(cluster, { user: fn().identity, since })).toBe(0);
  });
});
