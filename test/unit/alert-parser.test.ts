import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { AlertRejection, parseAlertRequest, type IncomingRequest } from '../../shared/alert/parse-request.ts';
import { falcoAlert, falcoAlertFixtures, falcosidekickTestAlert, recordedRequests } from '../../testbed/alerts/fixtures.ts';

const json = (body: unknown, contentType = 'application/json'): IncomingRequest => ({
  headers: { 'content-type': contentType },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

function rejectionOf(request: IncomingRequest): AlertRejection {
  try {
    parseAlertRequest(request);
  } catch (error) {
    if (error instanceof AlertRejection) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

describe('real Falco alerts', () => {
  it.each(falcoAlertFixtures().map((f) => [f.file, f.text]))('parses %s with its pod, container and image', (_file, text) => {
    const { alert, transport } = parseAlertRequest(json(text));
    const raw = JSON.parse(text);
    expect(transport).toBe('json');
    expect(alert.rule).toBe('Terminal shell in container');
    expect(alert.priority).toBe('notice');
    expect(alert.namespace).toBe(raw.output_fields['k8s.ns.name']);
    expect(alert.podName).toBe(raw.output_fields['k8s.pod.name']);
    expect(alert.containerId).toBe(raw.output_fields['container.id']);
    expect(alert.image).toBe(raw.output_fields['container.image.repository'] ?? undefined);
    expect(alert.timeText).toBe(raw.time);
    expect(alert.time.toISOString()).toBe(`${raw.time.slice(0, 23)}Z`);
  });

  it('treats a null image repository as unknown', () => {
    const { alert } = parseAlertRequest(json(falcoAlert('terminal-shell-kubeless')));
    expect(alert.image).toBeUndefined();
    expect(alert.outputFields['proc.pname']).toBeNull();
  });

  it("accepts Falcosidekick's /test alert: time without fractional seconds, tags, hostname, no k8s fields", () => {
    const { alert } = parseAlertRequest(json(falcosidekickTestAlert()));
    expect(alert).toMatchObject({
      rule: 'Test rule',
      priority: 'debug',
      source: 'internal',
      hostname: 'falcosidekick',
      tags: ['example', 'test'],
    });
    expect(alert.namespace).toBeUndefined();
    expect(alert.podName).toBeUndefined();
  });
});

describe('requests recorded from a real Falcosidekick', () => {
  it.each(recordedRequests().map((r) => [r.file, r]))('accepts %s exactly as sent', (_file, recorded) => {
    const { alert, transport, cloudEvent } = parseAlertRequest({ headers: lower(recorded.headers), body: recorded.body });
    const isCloudEvent = recorded.file.startsWith('cloudevents');
    expect(transport).toBe(isCloudEvent ? 'cloudevent-binary' : 'json');
    expect(alert.uuid).toBe(JSON.parse(recorded.body).uuid);
    if (isCloudEvent) {
      expect(cloudEvent).toMatchObject({ type: 'falco.rule.output.v1', source: 'https://falco.org', specversion: '1.0' });
      expect(cloudEvent!.extensions).toMatchObject({ rule: alert.rule });
    }
  });
});

describe('CloudEvents', () => {
  const tekton = falcoAlert('terminal-shell-tekton');
  const event = () =>
    new CloudEvent({
      id: 'e1',
      source: 'https://falco.org',
      type: 'falco.rule.output.v1',
      time: tekton.time,
      priority: 'Notice',
      rule: tekton.rule,
      data: tekton,
    });

  it('parses binary mode made by the cloudevents SDK', () => {
    const message = HTTP.binary(event());
    const parsed = parseAlertRequest({ headers: message.headers as Record<string, string>, body: String(message.body) });
    expect(parsed.transport).toBe('cloudevent-binary');
    expect(parsed.alert.podName).toBe('alpine');
  });

  it('parses structured mode, including the extensions a Knative Broker adds', () => {
    const delivered = event().cloneWith({
      knativearrivaltime: '2026-11-26T16:00:00Z',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    } as never);
    const message = HTTP.structured(delivered);
    const parsed = parseAlertRequest({ headers: message.headers as Record<string, string>, body: String(message.body) });
    expect(parsed.transport).toBe('cloudevent-structured');
    expect(parsed.alert.namespace).toBe('falcoresponse');
    expect(parsed.cloudEvent!.extensions).toMatchObject({ knativearrivaltime: '2026-11-26T16:00:00Z' });
  });

  it('parses structured mode whose data is base64 (data_base64)', () => {
    const body = {
      specversion: '1.0',
      id: 'x',
      source: 's',
      type: 't',
      datacontenttype: 'application/json',
      data_base64: Buffer.from(JSON.stringify(tekton)).toString('base64'),
    };
    const parsed = parseAlertRequest(json(body, 'application/cloudevents+json'));
    expect(parsed.alert.podName).toBe('alpine');
  });

  it('parses binary mode whose content type carries a charset', () => {
    const message = HTTP.binary(event());
    const headers = { ...(message.headers as Record<string, string>), 'content-type': 'application/json; charset=utf-8' };
    expect(parseAlertRequest({ headers, body: String(message.body) }).alert.rule).toBe(tekton.rule);
  });

  it.each([
    ['missing ce-source', { 'ce-source': undefined }, 400, 'cloudevent'],
    ['missing ce-type', { 'ce-type': undefined }, 400, 'cloudevent'],
    ['missing ce-specversion … and unknown version', { 'ce-specversion': '9.9' }, 400, 'cloudevent'],
    ['a rule extension that contradicts the body', { 'ce-rule': 'Some other rule' }, 422, 'rule'],
    ['a priority extension that contradicts the body', { 'ce-priority': 'Critical' }, 422, 'priority'],
    ['a non-JSON content type', { 'content-type': 'text/plain' }, 415, 'content-type'],
  ])('rejects binary mode with %s', (_label, change, status, field) => {
    const message = HTTP.binary(event());
    const headers: Record<string, string | undefined> = { ...(message.headers as Record<string, string>), ...change };
    const rejection = rejectionOf({ headers, body: String(message.body) });
    expect(rejection.status).toBe(status);
    expect(rejection.field).toBe(field);
  });

  it('rejects a structured event without data, naming the data', () => {
    const body = { specversion: '1.0', id: 'x', source: 's', type: 't' };
    expect(rejectionOf(json(body, 'application/cloudevents+json'))).toMatchObject({ status: 422, field: 'data' });
  });

  it('rejects a structured event whose data is not an alert, naming the field inside data', () => {
    const body = { specversion: '1.0', id: 'x', source: 's', type: 't', data: { ...tekton, priority: 'loud' } };
    expect(rejectionOf(json(body, 'application/cloudevents+json'))).toMatchObject({ status: 422, field: 'data.priority' });
  });

  it('rejects batches', () => {
    expect(rejectionOf(json([], 'application/cloudevents-batch+json'))).toMatchObject({ status: 415 });
  });
});

describe('validation of the alert', () => {
  const valid = falcoAlert('terminal-shell-flux');

  it.each(['NOTICE', 'notice', 'Notice', 'nOtIcE'])('matches priority %s case-insensitively', (priority) => {
    expect(parseAlertRequest(json({ ...valid, priority })).alert.priority).toBe('notice');
  });

  it.each([
    '2021-06-13T19:35:58Z',
    '2021-06-13T19:35:58.5Z',
    '2021-06-13T19:35:58.532086161Z',
    '2021-06-13T21:35:58.532+02:00',
    '2016-12-31T23:59:60Z',
  ])('accepts RFC 3339 time %s', (time) => {
    expect(parseAlertRequest(json({ ...valid, time })).alert.timeText).toBe(time);
  });

  it('accepts every kind of output_fields value: string, number, boolean, null, array', () => {
    const output_fields = { ...valid.output_fields, 'a.str': 's', 'a.num': 1.5, 'a.bool': true, 'a.null': null, 'a.list': ['x', 1, null] };
    expect(parseAlertRequest(json({ ...valid, output_fields })).alert.outputFields['a.list']).toEqual(['x', 1, null]);
  });

  it.each<[string, unknown, number, string]>([
    ['empty body', '', 400, 'body'],
    ['truncated JSON', JSON.stringify(valid).slice(0, 40), 400, 'body'],
    ['a JSON array', '[]', 422, 'body'],
    ['a JSON string', '"alert"', 422, 'body'],
    ['no rule', { ...valid, rule: undefined }, 422, 'rule'],
    ['an empty rule', { ...valid, rule: '' }, 422, 'rule'],
    ['a numeric rule', { ...valid, rule: 7 }, 422, 'rule'],
    ['no priority', { ...valid, priority: undefined }, 422, 'priority'],
    ['an unknown priority', { ...valid, priority: 'severe' }, 422, 'priority'],
    ['no time', { ...valid, time: undefined }, 422, 'time'],
    ['a time that is not RFC 3339', { ...valid, time: '13/06/2021 19:35' }, 422, 'time'],
    ['a time with no zone', { ...valid, time: '2021-06-13T19:35:58' }, 422, 'time'],
    ['a day that does not exist', { ...valid, time: '2021-02-31T00:00:00Z' }, 422, 'time'],
    ['no output_fields', { ...valid, output_fields: undefined }, 422, 'output_fields'],
    ['empty output_fields', { ...valid, output_fields: {} }, 422, 'output_fields'],
    [
      'an object inside output_fields',
      { ...valid, output_fields: { 'k8s.pod.name': { nested: true } } },
      422,
      'output_fields.k8s.pod.name',
    ],
    ['tags that are not strings', { ...valid, tags: [1] }, 422, 'tags.0'],
    ['a prototype-pollution key', '{"__proto__":{"polluted":true},"rule":"r"}', 400, 'body'],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"x":1}}}', 400, 'body'],
  ])('rejects %s, naming the field', (_label, body, status, field) => {
    const rejection = rejectionOf(json(body as object));
    expect({ status: rejection.status, field: rejection.field }).toEqual({ status, field });
    expect(rejection.reason.length).toBeGreaterThan(3);
  });

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'rejects content type %s with 415',
    (contentType) => {
      const rejection = rejectionOf({ headers: contentType ? { 'content-type': contentType } : {}, body: JSON.stringify(valid) });
      expect(rejection).toMatchObject({ status: 415, field: 'content-type' });
    },
  );

  it("accepts application/json with parameters, as Falcosidekick's OpenFaaS and webhook outputs send it", () => {
    expect(parseAlertRequest(json(valid, 'application/json; charset=utf-8')).alert.rule).toBe(valid.rule);
  });

  it('does not let a polluting key reach Object.prototype', () => {
    rejectionOf(json('{"rule":"r","__proto__":{"polluted":1}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
