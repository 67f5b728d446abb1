// The Knative Eventing example: a Broker Falcosidekick posts every alert to, and one Trigger per
// function. Their fields are validated by Eventing's own CRDs in the test API server
// (test/integration/packaging/knative-eventing.test.ts); here, what no schema can check: each
// Trigger's filter evaluated the way the broker does (exact match on CloudEvent attributes and
// extensions) against the CloudEvents a real Falcosidekick sent, and the delivery settings
// against the functions' own limits.
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { KNATIVE_NAMESPACE } from '../../../packaging/names.ts';
import { compileRulePattern } from '../../../shared/guards/rule-pattern.ts';
import { normalizePriority, prioritySeverity } from '../../../shared/alert/priority.ts';
import { renderReply } from '../../../shared/runtime/reply.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { envOf, knativeServiceOf, knativeServices, readYamlDocuments, type Manifest } from '../../../testbed/packaging/manifests.ts';
import { recordedRequests, type RecordedRequest } from '../../../testbed/alerts/fixtures.ts';

const broker = readYamlDocuments('knative/eventing/10-broker.yaml').find((doc) => doc.kind === 'Broker')!;
const triggers = readYamlDocuments('knative/eventing/20-triggers.yaml');

/** CloudEvent attributes of a binary-mode request: each Ce-<Name> header is attribute <name>. */
function attributesOf(headers: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (/^ce-/i.test(name)) attributes[name.slice(3).toLowerCase()] = value;
  return attributes;
}

/** Knative's `spec.filter.attributes`: every listed attribute present with exactly that value. */
function passesFilter(trigger: Manifest, attributes: Record<string, string>): boolean {
  return Object.entries((trigger.spec.filter?.attributes ?? {}) as Record<string, string>).every(
    ([name, value]) => attributes[name] === value,
  );
}

const reachedBy = (attributes: Record<string, string>) =>
  triggers.filter((trigger) => passesFilter(trigger, attributes)).map((trigger) => trigger.spec.subscriber.ref.name as string);

/** ISO 8601 durations as Knative's backoffDelay uses them (PT0.5S, PT2S, PT1M). */
function durationSeconds(iso: string): number {
  const match = /^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(iso);
  if (!match || (!match[1] && !match[2])) throw new Error(`unsupported duration ${iso}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

const cloudEventRecordings = recordedRequests().filter((request) => request.file.startsWith('cloudevents-'));

function withHeaders(request: RecordedRequest, changes: Record<string, string>): Record<string, string> {
  return { ...request.headers, ...changes };
}

describe('Trigger filters against the CloudEvents Falcosidekick sends', () => {
  it('replays the recorded CloudEvents: the shell alert reaches delete-pod only, the /test alert reaches nothing', () => {
    expect(cloudEventRecordings.map((r) => r.file).sort()).toEqual([
      'cloudevents-binary-terminal-shell.json',
      'cloudevents-binary-test-alert.json',
    ]);
    const table = Object.fromEntries(cloudEventRecordings.map((request) => [request.file, reachedBy(attributesOf(request.headers))]));
    console.table(Object.entries(table).map(([event, functions]) => ({ event, reaches: functions.join(', ') || '(no function)' })));
    expect(table).toEqual({
      'cloudevents-binary-terminal-shell.json': ['delete-pod'],
      'cloudevents-binary-test-alert.json': [],
    });
  });

  it('routes the other rules to their functions (recorded headers with Ce-Rule/Ce-Priority changed)', () => {
    const shell = cloudEventRecordings.find((r) => r.file === 'cloudevents-binary-terminal-shell.json')!;
    const cases: Array<[string, Record<string, string>, string[]]> = [
      [
        'reverse shell',
        { 'Ce-Rule': 'Redirect STDOUT/STDIN to Network Connection in Container', 'Ce-Priority': 'Notice' },
        ['isolate-pod'],
      ],
      ['dropped binary, Critical', { 'Ce-Rule': 'Drop and execute new binary in container', 'Ce-Priority': 'Critical' }, ['scale-to-zero']],
      ['dropped binary lowered to Warning', { 'Ce-Rule': 'Drop and execute new binary in container', 'Ce-Priority': 'Warning' }, []],
      ['another rule', { 'Ce-Rule': 'Read sensitive file untrusted', 'Ce-Priority': 'Warning' }, []],
      ['shell alert of another type', { 'Ce-Type': 'com.example.other' }, []],
    ];
    const table = cases.map(([event, changes]) => ({ event, reaches: reachedBy(attributesOf(withHeaders(shell, changes))) }));
    console.table(table.map(({ event, reaches }) => ({ event, reaches: reaches.join(', ') || '(no function)' })));
    expect(table.map((row) => row.reaches)).toEqual(cases.map(([, , expected]) => expected));
  });

  it("no Trigger matches a function's own decision reply, so replies never loop back into a function", () => {
    for (const mode of ['cloudevent-binary', 'cloudevent-structured'] as const) {
      const reply = renderReply(mode, 'delete-pod', { outcome: 'acted', target: { namespace: 'ns', pod: 'p' } });
      const attributes =
        mode === 'cloudevent-binary'
          ? attributesOf(reply.headers)
          : (Object.fromEntries(Object.entries(JSON.parse(reply.body)).filter(([, v]) => typeof v === 'string')) as Record<string, string>);
      expect(attributes.type).toBe('dev.falcoresponse.decision.v1');
      expect(reachedBy(attributes)).toEqual([]);
    }
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))("what the %s Trigger lets through, the function's own guard rails accept", (fn) => {
    const trigger = triggers.find((t) => t.metadata.name === fn)!;
    const { rule, priority, type } = trigger.spec.filter.attributes;
    expect(type).toBe('falco.rule.output.v1');
    const guards = readFunctionConfig({
      ...envOf(knativeServiceOf(fn).spec.template.spec.containers[0]),
      AUTH_TOKEN: 'x',
      KUBECONFIG: '/nonexistent',
    }).pipeline;
    expect(guards.rules.some((pattern) => compileRulePattern(pattern.source).test(rule))).toBe(true);
    if (priority !== undefined) {
      expect(priority).toBe(priority.charAt(0).toUpperCase() + priority.slice(1).toLowerCase()); // Falcosidekick capitalises
      expect(prioritySeverity(normalizePriority(priority)!)).toBeGreaterThanOrEqual(prioritySeverity(guards.minPriority));
    }
  });
});

describe('Broker and Trigger wiring', () => {
  const deadLetterSinks = new Set(knativeServices().map(({ service }) => service.metadata.name as string));

  function expectDelivery(delivery: Manifest | undefined, where: string) {
    expect(delivery, `${where} has spec.delivery`).toBeDefined();
    expect(delivery!.retry, where).toBeGreaterThanOrEqual(1);
    expect(['exponential', 'linear'], where).toContain(delivery!.backoffPolicy);
    const sink = delivery!.deadLetterSink.ref;
    expect(sink).toMatchObject({ apiVersion: 'serving.knative.dev/v1', kind: 'Service' });
    expect(deadLetterSinks.has(sink.name), `${where}: dead-letter sink ${sink.name} is shipped`).toBe(true);
    // All retries end before the functions would skip the alert as too old (MAX_ALERT_AGE_SECONDS).
    const base = durationSeconds(delivery!.backoffDelay);
    const waits = Array.from({ length: delivery!.retry }, (_, n) =>
      delivery!.backoffPolicy === 'exponential' ? base * 2 ** n : base * (n + 1),
    );
    const maxAge = readFunctionConfig({ KUBECONFIG: '/nonexistent' }).pipeline.maxAlertAgeSeconds;
    expect(
      waits.reduce((a, b) => a + b, 0),
      where,
    ).toBeLessThan(maxAge);
  }

  it('the Broker is eventing.knative.dev/v1 in falco-response, with retries and a dead-letter sink', () => {
    expect(broker).toMatchObject({ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { namespace: KNATIVE_NAMESPACE } });
    expectDelivery(broker.spec.delivery, 'Broker');
  });

  it("one Trigger per function, on that Broker, delivering to that function's Knative Service", () => {
    expect(triggers.map((t) => t.metadata.name)).toEqual(FUNCTION_SPECS.map((spec) => spec.name));
    for (const trigger of triggers) {
      expect(trigger).toMatchObject({
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: { namespace: KNATIVE_NAMESPACE },
        spec: { broker: broker.metadata.name },
      });
      expect(trigger.spec.subscriber.ref).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: trigger.metadata.name });
      expect(knativeServiceOf(trigger.metadata.name).metadata.namespace).toBe(trigger.metadata.namespace);
      expectDelivery(trigger.spec.delivery, `Trigger ${trigger.metadata.name}`);
    }
  });

  it("each function's Trigger selects a different rule, so no alert reaches two functions", () => {
    const rules = triggers.map((t) => t.spec.filter.attributes.rule);
    expect(new Set(rules).size).toBe(rules.length);
  });
});
