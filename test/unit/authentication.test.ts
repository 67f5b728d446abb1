import { CloudEvent, HTTP } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensMatch } from '../../shared/runtime/auth.ts';
import { falcoAlert, freshAlert, recordedRequest } from '../../testbed/alerts/fixtures.ts';
import { postJson, sendRequest } from '../../testbed/net/http-client.ts';
import { startRecordingFunction, type RecordingFunction } from '../../testbed/functions/recording-function.ts';

// The recorded webhook request carries "Authorization: Bearer s3cret", as configured in Falcosidekick.
const TOKEN = 's3cret';

describe('caller authentication with a shared token', () => {
  let fn: RecordingFunction;
  beforeAll(async () => {
    fn = await startRecordingFunction({ AUTH_TOKEN: TOKEN });
  });
  afterAll(() => fn.close());
  const alert = () => freshAlert(falcoAlert('terminal-shell-tekton'));
  const binaryEvent = (extensions: Record<string, string>) =>
    HTTP.binary(new CloudEvent({ id: '1', source: 'https://falco.org', type: 'falco.rule.output.v1', data: alert(), ...extensions }));

  it("accepts the webhook output's recorded request with its Authorization header", async () => {
    const recorded = recordedRequest('webhook-terminal-shell');
    const answer = await sendRequest(fn.url, 'POST', '/', recorded.headers, recorded.body);
    expect(answer.status).toBe(200);
  });

  it('accepts the token in the custom header', async () => {
    expect((await postJson(fn.url, alert(), { 'X-Falco-Response-Token': TOKEN })).status).toBe(200);
  });

  it('accepts the token as a CloudEvent extension, binary (Ce-Authtoken) and structured', async () => {
    const binary = binaryEvent({ authtoken: TOKEN });
    expect((await sendRequest(fn.url, 'POST', '/', binary.headers as Record<string, string>, String(binary.body))).status).toBe(200);
    const structured = HTTP.structured(new CloudEvent({ id: '1', source: 's', type: 't', data: alert(), authtoken: TOKEN }));
    expect((await sendRequest(fn.url, 'POST', '/', structured.headers as Record<string, string>, String(structured.body))).status).toBe(
      200,
    );
  });

  it.each([
    ['no token', {}],
    ['a wrong bearer token', { Authorization: 'Bearer s3cre7' }],
    ['a wrong custom header', { 'X-Falco-Response-Token': 'nope' }],
    ['a token of a different length', { Authorization: `Bearer ${TOKEN}${TOKEN}` }],
  ])('answers 401 to %s and never calls the handler', async (_label, headers) => {
    const before = fn.alerts.length;
    const answer = await postJson(fn.url, alert(), headers as Record<string, string>);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'error', field: 'authorization' });
    expect(fn.alerts.length).toBe(before);
  });

  it('answers 401 to CloudEvents without or with a wrong extension, as a CloudEvent', async () => {
    for (const extensions of [{}, { authtoken: 'wrong' }] as Array<Record<string, string>>) {
      const message = binaryEvent(extensions);
      const answer = await sendRequest(fn.url, 'POST', '/', message.headers as Record<string, string>, String(message.body));
      expect(answer.status).toBe(401);
      const reply = HTTP.toEvent({ headers: answer.headers as Record<string, string>, body: answer.body }) as CloudEvent<any>;
      expect(reply.data.field).toBe('authorization');
    }
    const structured = HTTP.structured(new CloudEvent({ id: '1', source: 's', type: 't', data: alert(), authtoken: 'wrong' }));
    expect((await sendRequest(fn.url, 'POST', '/', structured.headers as Record<string, string>, String(structured.body))).status).toBe(
      401,
    );
  });

  it('tells an unauthenticated caller nothing about what a valid alert looks like', async () => {
    const answer = await postJson(fn.url, '{"broken": ');
    expect(answer.status).toBe(401);
  });
});

it('compares tokens without leaking length: equal only when equal', () => {
  expect(tokensMatch('abc', 'abc')).toBe(true);
  expect(tokensMatch('abc', 'abd')).toBe(false);
  expect(tokensMatch('abc', 'abcabc')).toBe(false);
  expect(tokensMatch('', 'abc')).toBe(false);
});
