// Property-based fuzzing of the HTTP runtime over a real socket: generated bodies, header
// sets and content types. Always an answer with a 4xx (or 2xx for a real alert), never a
// crash, and the handler (the only place that acts) sees only valid alerts.
import { type CloudEvent, HTTP } from 'cloudevents';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCloudEventRequest } from '../../shared/alert/parse-request.ts';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';
import { sendRequest } from '../../testbed/net/http-client.ts';
import { startRecordingFunction, type RecordingFunction } from '../../testbed/functions/recording-function.ts';

let fn: RecordingFunction;
beforeAll(async () => {
  fn = await startRecordingFunction({ BODY_LIMIT_BYTES: String(256 * 1024) });
});
afterAll(() => fn.close());

const valid = freshAlert(falcoAlert('terminal-shell-tekton'));
const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'ce-id',
    'ce-source',
    'ce-type',
    'ce-specversion',
    'ce-rule',
    'ce-priority',
    'authorization',
    'x-falco-response-token',
    'accept-encoding',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const body = fc.oneof(
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  fc
    .record({ key: fc.constantFrom(...Object.keys(valid)), value: fc.jsonValue() })
    .map(({ key, value }) => Buffer.from(JSON.stringify({ ...valid, [key]: value }))),
  fc.constant(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), // invalid UTF-8
  fc.nat(3).map((n) => Buffer.alloc(n * 200_000, 0x61)), // up to ~600 KB, over the 256 KiB limit
  // Valid alerts naming any text as namespace and pod: what reaches a reply's headers.
  fc
    .record({
      namespace: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('kube-system', 'shop')),
      pod: fc.string({ unit: 'binary', maxLength: 80 }),
    })
    .map(({ namespace, pod }) =>
      Buffer.from(JSON.stringify({ ...valid, output_fields: { ...valid.output_fields, 'k8s.ns.name': namespace, 'k8s.pod.name': pod } })),
    ),
);
// Binary-mode CloudEvent headers, so that generated alerts get CloudEvent replies.
const ceHeaders = fc.constantFrom<Record<string, string>>(
  {},
  {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': '1',
    'ce-source': 'falcosidekick',
    'ce-type': 'falco.rule.output.v1',
  },
);

/** Every header value is what Node sends and a client accepts: no control characters, nothing beyond Latin-1. */
function headersAreValidHttp(headers: Record<string, string | string[] | undefined>): boolean {
  return Object.values(headers).every((value) => [value ?? ''].flat().every((one) => /^[\t\x20-\x7e\x80-\xff]*$/.test(one)));
}

describe('fuzzing the HTTP runtime over a socket', () => {
  it('answers every generated request with 2xx or 4xx and a JSON or CloudEvent reason (2,000 requests)', async () => {
    await fc.assert(
      fc.asyncProperty(ceHeaders, fc.dictionary(headerName, headerValue, { maxKeys: 6 }), body, async (cloudEvent, generated, payload) => {
        const before = fn.alerts.length;
        const headers = { ...cloudEvent, ...generated, 'content-length': String(payload.length) };
        const answer = await sendRequest(fn.url, 'POST', '/', headers, payload);
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `status ${answer.status}`).toBe(true);
        expect(headersAreValidHttp(answer.headers), JSON.stringify(answer.headers)).toBe(true);
        // A CloudEvent request gets a CloudEvent (or an empty body): a Broker retries anything else.
        if (isCloudEventRequest(headers) && answer.body !== '') {
          const reply = HTTP.toEvent({ headers: answer.headers as Record<string, string>, body: answer.body }) as CloudEvent<unknown>;
          expect(reply.type).toBe('dev.falcoresponse.decision.v1');
        }
        if (answer.status >= 400) {
          expect(fn.alerts.length).toBe(before);
          if (answer.body !== '') expect(answer.body).toMatch(/"outcome":"error"|^{/);
        }
      }),
      { numRuns: 2000 },
    );
    expect((await sendRequest(fn.url, 'GET', '/healthz', {})).status).toBe(200);
  }, 120_000);

  it('every alert the handler saw was a valid one with a rule, a priority and a time', () => {
    for (const alert of fn.alerts) {
      expect(alert.rule.length).toBeGreaterThan(0);
      expect(alert.priority).toMatch(/^[a-z]+$/);
      expect(Number.isNaN(alert.time.getTime())).toBe(false);
    }
  });
});
