import { CloudEvent, HTTP } from 'cloudevents';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_EVENT_TYPE } from '../../shared/runtime/reply.ts';
import { falcoAlert, freshAlert, recordedRequests, type RecordedRequest } from '../../testbed/alerts/fixtures.ts';
import { postJson, sendRequest, type HttpAnswer } from '../../testbed/net/http-client.ts';
import { startOpenFaasGateway, type Gateway } from '../../testbed/senders/openfaas-gateway.ts';
import { startRecordingFunction, type RecordingFunction } from '../../testbed/functions/recording-function.ts';

function replay(url: string, recorded: RecordedRequest): Promise<HttpAnswer> {
  return sendRequest(url, recorded.method, recorded.path, recorded.headers, recorded.body);
}

function replyEvent(answer: HttpAnswer): CloudEvent<any> {
  const event = HTTP.toEvent({ headers: answer.headers as Record<string, string>, body: answer.body });
  return event as CloudEvent<any>;
}

describe('replaying requests recorded from a real Falcosidekick, byte for byte over a socket', () => {
  let fn: RecordingFunction;
  let gateway: Gateway;
  beforeAll(async () => {
    fn = await startRecordingFunction();
    gateway = await startOpenFaasGateway({ 'delete-pod': fn.url });
  });
  afterAll(async () => {
    await gateway.close();
    await fn.close();
  });

  it.each(recordedRequests().map((r) => [r.file, r]))('%s is accepted and decided', async (file, recorded) => {
    // The OpenFaaS output posts to the gateway's /function/<name>.<ns>; the others straight to the function.
    const answer = await replay(file.startsWith('openfaas') ? gateway.url : fn.url, recorded);
    expect(answer.status).toBe(200);
    const isTestAlert = file.includes('test-alert');
    const expected = isTestAlert
      ? { outcome: 'skipped', reason: 'no-target' }
      : { outcome: 'acted', reason: 'recorded', target: { namespace: 'falcoresponse', pod: 'alpine' } };
    if (file.startsWith('cloudevents')) {
      const event = replyEvent(answer);
      expect(event.type).toBe(DECISION_EVENT_TYPE);
      expect(event.data).toMatchObject(expected);
      expect(event.data.alert.uuid).toBe(JSON.parse(recorded.body).uuid);
    } else {
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(answer.body)).toMatchObject({ function: 'recording', ...expected });
    }
  });

  it.each(
    recordedRequests()
      .filter((r) => r.file.startsWith('cloudevents'))
      .map((r) => [r.file, r]),
  )('%s, re-sent as a structured CloudEvent, gets a structured CloudEvent reply', async (_file, recorded) => {
    const binary = HTTP.toEvent({ headers: recorded.headers, body: recorded.body }) as CloudEvent<unknown>;
    const message = HTTP.structured(binary);
    const answer = await sendRequest(fn.url, 'POST', '/', message.headers as Record<string, string>, String(message.body));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(replyEvent(answer).data.alert.uuid).toBe(JSON.parse(recorded.body).uuid);
  });
});

describe("HTTP status codes follow the senders' retry rules", () => {
  let fn: RecordingFunction;
  beforeAll(async () => {
    fn = await startRecordingFunction({ BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => fn.close());
  const alert = freshAlert(falcoAlert('terminal-shell-tekton'));

  it('400 for malformed JSON, with the field and reason in JSON', async () => {
    const answer = await postJson(fn.url, '{"rule": ');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'error', field: 'body' });
  });

  it('400 for a body that is not UTF-8', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const answer = await sendRequest(fn.url, 'POST', '/', { 'content-type': 'application/json' }, bytes);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).message).toMatch(/UTF-8/);
  });

  it('413 for a body over the limit', async () => {
    const answer = await postJson(fn.url, { ...alert, output: 'x'.repeat(10_000) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).outcome).toBe('error');
  });

  it('415 for a wrong content type', async () => {
    const answer = await sendRequest(fn.url, 'POST', '/', { 'content-type': 'text/plain' }, JSON.stringify(alert));
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.body)).toMatchObject({ field: 'content-type' });
  });

  it('422 for valid JSON that is not a usable alert, naming the field', async () => {
    const answer = await postJson(fn.url, { ...alert, priority: 'extreme' });
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body)).toMatchObject({ field: 'priority' });
  });

  it('a rejected CloudEvent request gets a CloudEvent reply, never plain JSON', async () => {
    const message = HTTP.binary(new CloudEvent({ id: '1', source: 's', type: 't', data: { ...alert, time: 'yesterday' } }));
    const answer = await sendRequest(fn.url, 'POST', '/', message.headers as Record<string, string>, String(message.body));
    expect(answer.status).toBe(422);
    expect(replyEvent(answer).data).toMatchObject({ outcome: 'error', field: 'data.time' });
  });

  it('404 with a JSON reason for other paths', async () => {
    const answer = await sendRequest(fn.url, 'POST', '/function/delete-pod', { 'content-type': 'application/json' }, JSON.stringify(alert));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).message).toMatch(/POST \//);
  });

  it.each(['/healthz', '/readyz', '/_/health', '/_/ready'])('GET %s answers 200', async (path) => {
    expect((await sendRequest(fn.url, 'GET', path, {})).status).toBe(200);
  });

  it('an alert is never acted on twice because of a bad request: nothing reached the handler for rejected requests', () => {
    expect(fn.alerts).toHaveLength(0);
  });
});

describe('replying to CloudEvents with an empty body when so configured', () => {
  it('answers 200 with no body', async () => {
    const fn = await startRecordingFunction({}, undefined, 'empty');
    try {
      const message = HTTP.binary(
        new CloudEvent({ id: '1', source: 's', type: 't', data: freshAlert(falcoAlert('terminal-shell-tekton')) }),
      );
      const answer = await sendRequest(fn.url, 'POST', '/', message.headers as Record<string, string>, String(message.body));
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('');
    } finally {
      await fn.close();
    }
  });
});

describe('bounded in-flight work', () => {
  let release!: () => void;
  let fn: RecordingFunction;
  afterEach(() => fn?.close());

  it('answers 429 with Retry-After beyond MAX_IN_FLIGHT, and serves again once work drains', async () => {
    const gate = new Promise<void>((resolve) => (release = resolve));
    fn = await startRecordingFunction({ MAX_IN_FLIGHT: '2' }, async () => {
      await gate;
      return { outcome: 'skipped', reason: 'slow', message: 'slow' };
    });
    const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
    const first = [postJson(fn.url, alert), postJson(fn.url, alert)];
    await new Promise((r) => setTimeout(r, 100));
    const third = await postJson(fn.url, alert);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('1');
    release();
    expect((await Promise.all(first)).map((a) => a.status)).toEqual([200, 200]);
    expect((await postJson(fn.url, alert)).status).toBe(200);
  });
});

describe('handler failures', () => {
  it('answer 503 with Retry-After (the sender may retry), not a crash', async () => {
    const fn = await startRecordingFunction({}, async () => {
      throw new Error('boom');
    });
    try {
      const answer = await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')));
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'error', reason: 'internal-error' });
      expect((await sendRequest(fn.url, 'GET', '/healthz', {})).status).toBe(200);
    } finally {
      await fn.close();
    }
  });
});
