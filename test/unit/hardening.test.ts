// The holes an outside attack on the bundled delete-pod found (second hardening round),
// each reproduced as it was written, and the classes behind them. The function is the real
// delete-pod built as its entry point builds it, offline (no cluster credentials), over a
// real socket; the heap test runs it as its own process under the shipped manifests' limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudEvent, HTTP } from 'cloudevents';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { readFunctionConfig } from '../../shared/function-config.ts';
import { startOfflineFunction } from '../../testbed/functions/offline-function.ts';
import { falcoAlert, freshAlert } from '../../testbed/alerts/fixtures.ts';
import { postJson, sendRequest, type HttpAnswer } from '../../testbed/net/http-client.ts';
import { openSlowConnections } from '../../testbed/net/slow-connections.ts';
import { spawnFunction } from '../../testbed/functions/spawn-function.ts';

const TOKEN = 'hardening-test-token-0123456789';
const root = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'frf-hardening-'));
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  rmSync(scratch, { recursive: true, force: true });
});

/** The real delete-pod, offline: every decision before the cluster is made for real. */
async function startDeletePod(env: Record<string, string> = {}) {
  const fn = await startOfflineFunction(deletePodSpec, env);
  closers.push(() => fn.close());
  return fn;
}

function alertNaming(namespace: string, pod: string, fields: Record<string, unknown> = {}) {
  const alert = freshAlert(falcoAlert('terminal-shell-tekton'));
  Object.assign(alert.output_fields, { 'k8s.ns.name': namespace, 'k8s.pod.name': pod, ...fields });
  return alert;
}

function binaryCloudEvent(alert: unknown, extra: Record<string, string> = {}) {
  const body = JSON.stringify(alert);
  return {
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': 'falcosidekick',
      'ce-type': 'falco.rule.output.v1',
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    },
    body,
  };
}

function structuredCloudEvent(attributes: Record<string, unknown>, contentType = 'application/cloudevents+json') {
  const body = JSON.stringify({
    specversion: '1.0',
    id: '1',
    source: 'falcosidekick',
    type: 'falco.rule.output.v1',
    datacontenttype: 'application/json',
    ...attributes,
  });
  return { headers: { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }, body };
}

/** Every header value is something Node would send and a client accepts: no control characters, nothing beyond Latin-1. */
function expectValidHeaders(answer: HttpAnswer) {
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of [value].flat()) expect(one, name).toMatch(/^[\t\x20-\x7e\x80-\xff]*$/);
  }
}

describe('hole 1: slow bodies cannot starve authenticated alerts', () => {
  it('64 connections holding a structured CloudEvent body (Content-Length 100000) do not make a token-bearing alert wait or get 429', async () => {
    const fn = await startDeletePod({ AUTH_TOKEN: TOKEN, REQUEST_TIMEOUT_MS: '3000' });
    const holds = await openSlowConnections(fn.url, 64, {
      headers: { 'Content-Type': 'application/cloudevents+json', 'Content-Length': '100000' },
      partialBody: '{"specversion":',
    });
    const started = Date.now();
    const answer = await postJson(fn.url, freshAlert(falcoAlert('terminal-shell-tekton')), { authorization: `Bearer ${TOKEN}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
    expect(Date.now() - started).toBeLessThan(1000);
    // The holds were still open when the alert was answered: the slots were never theirs.
    const stillOpen = holds.filter((hold) => !hold.socket.destroyed && hold.socket.readyState === 'open').length;
    expect(stillOpen).toBe(64);
    const cutAfter = await Promise.all(holds.map((hold) => hold.closed));
    for (const ms of cutAfter) expect(ms).toBeLessThan(3000 + 4000);
    expect(holds.every((hold) => hold.received().startsWith('HTTP/1.1 408'))).toBe(true);
  });

  it('a plain JSON or binary CloudEvent request without a token is refused before its body arrives', async () => {
    const fn = await startDeletePod({ AUTH_TOKEN: TOKEN });
    const requests: Array<Record<string, string>> = [
      { 'Content-Type': 'application/json', 'Content-Length': '100000' },
      {
        'Content-Type': 'application/json',
        'Ce-Specversion': '1.0',
        'Ce-Id': '1',
        'Ce-Source': 's',
        'Ce-Type': 't',
        'Content-Length': '100000',
      },
    ];
    for (const headers of requests) {
      const [hold] = await openSlowConnections(fn.url, 1, { headers, partialBody: '{"rule":' });
      for (let i = 0; i < 100 && !hold!.received().includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(hold!.received()).toMatch(/^HTTP\/1\.1 401/);
      hold!.socket.destroy();
    }
  });

  it('the token inside a structured CloudEvent is checked before its alert: a wrong alert with the right token gets the real reason, without the token 401', async () => {
    const fn = await startDeletePod({ AUTH_TOKEN: TOKEN });
    const invalidAlert = { rule: 'Terminal shell in container', priority: 'Notice', output_fields: { 'k8s.ns.name': 'shop' } }; // no time
    const withToken = structuredCloudEvent({ authtoken: TOKEN, data: invalidAlert });
    const answered = await sendRequest(fn.url, 'POST', '/', withToken.headers, withToken.body);
    expect(answered.status).toBe(422);
    expect(
      (HTTP.toEvent({ headers: answered.headers as Record<string, string>, body: answered.body }) as CloudEvent<any>).data,
    ).toMatchObject({ field: 'data.time' });
    const without = structuredCloudEvent({ data: invalidAlert });
    const refused = await sendRequest(fn.url, 'POST', '/', without.headers, without.body);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('missing token');
    const wrong = structuredCloudEvent({ authtoken: 'not-it', data: invalidAlert });
    expect((await sendRequest(fn.url, 'POST', '/', wrong.headers, wrong.body)).body).toContain('wrong token');
  });
});

describe('hole 2: container ids are checked, so they cannot grow the dedupe memory', () => {
  it('refuses a container.id that is not 12 to 64 hex digits (or "host") with 422 naming the field', async () => {
    const fn = await startDeletePod();
    for (const id of ['x'.repeat(65_000), 'abc', '5892b41b\ncf46', 'g'.repeat(12), 'a'.repeat(65)]) {
      const answer = await postJson(fn.url, alertNaming('shop', 'web-1', { 'container.id': id }));
      expect(answer.status, JSON.stringify(id.slice(0, 20))).toBe(422);
      expect(JSON.parse(answer.body)).toMatchObject({ field: 'output_fields.container.id' });
    }
    for (const id of ['5892b41bcf46', 'A'.repeat(64), 'host']) {
      expect((await postJson(fn.url, alertNaming('shop', 'web-1', { 'container.id': id }))).status).toBe(200);
    }
  });

  it('as written: 4,000 alerts with distinct 65,000-character container ids, under a 256 MB heap limit, leave the process alive and its heap small', async () => {
    const fn = await spawnFunction(join(root, 'functions/delete-pod/index.ts'), {
      KUBECONFIG: join(scratch, 'none'),
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--max-old-space-size=256',
    });
    closers.push(() => fn.stop('SIGKILL'));
    const base = alertNaming('shop', 'missing-pod');
    let refused = 0;
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const id = `${(batch * 100 + i).toString(16)}${'f'.repeat(65_000)}`;
          return postJson(fn.url, { ...base, output_fields: { ...base.output_fields, 'container.id': id } });
        }),
      );
      refused += answers.filter((answer) => answer.status === 422).length;
    }
    expect(refused).toBe(4000);
    expect(fn.child.exitCode).toBeNull();
    const metrics = (await sendRequest(fn.url, 'GET', '/metrics', {})).body;
    const heapUsed = Number(/^nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/m.exec(metrics)![1]);
    expect(heapUsed).toBeLessThan(96 * 1024 * 1024);
  }, 120_000);
});

describe('log lines wait in a bounded buffer', () => {
  it('with stdout stalled, 400 alerts each logging 8 KiB of output are all answered; lines beyond LOG_BUFFER_BYTES are dropped and counted, not kept', async () => {
    const fn = await spawnFunction(join(root, 'functions/delete-pod/index.ts'), {
      KUBECONFIG: join(scratch, 'none'),
      LOG_LEVEL: 'info',
      LOG_BUFFER_BYTES: String(64 * 1024),
    });
    closers.push(() => fn.stop('SIGKILL'));
    fn.child.stdout!.pause(); // a log pipe nobody reads: the kernel's 64 KiB fill, then ours
    const alert = { ...alertNaming('shop', 'web-1'), output: 'o'.repeat(8192) };
    const answers = [];
    for (let i = 0; i < 400; i++) answers.push((await postJson(fn.url, alert)).status);
    expect(answers.every((status) => status === 200)).toBe(true);
    const metrics = (await sendRequest(fn.url, 'GET', '/metrics', {})).body;
    const dropped = Number(/^falco_response_log_lines_dropped_total\{[^}]*\} (\d+)/m.exec(metrics)![1]);
    // 400 lines of ~8.5 KiB: ~3.4 MiB, of which at most 128 KiB fit in the pipe and the buffer.
    expect(dropped).toBeGreaterThan(300);
    fn.child.stdout!.resume();
  }, 60_000);
});

describe('hole 3: every reply header is valid HTTP, whatever the alert names', () => {
  it.each([['victim\u0100'], ['victim\n'], ['victim\r'], ['victim\u{1F600}'], ['a b"%c']])(
    'binary-mode CloudEvent for kube-system/%j gets a CloudEvent reply, not a 500',
    async (pod) => {
      const fn = await startDeletePod();
      const request = binaryCloudEvent(alertNaming('kube-system', pod));
      const answer = await sendRequest(fn.url, 'POST', '/', request.headers, request.body);
      expect(answer.status).toBe(200);
      expectValidHeaders(answer);
      const event = HTTP.toEvent({ headers: answer.headers as Record<string, string>, body: answer.body }) as CloudEvent<any>;
      expect(event.data).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
      // An invalid name is not repeated as a target (Falco's fields are trimmed: "victim\n" is "victim").
      expect(event.data.target.namespace).toBe('kube-system');
      if (event.data.target.pod !== undefined) expect(event.data.target.pod).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    },
  );

  it('a subject that needs it is percent-encoded as the CloudEvents HTTP binding says', async () => {
    const { percentEncoded } = await import('../../shared/runtime/reply.ts');
    expect(percentEncoded('shop/web-1')).toBe('shop/web-1');
    expect(percentEncoded('a b"%\n\u0100')).toBe('a%20b%22%25%0A%C4%80');
  });
});

describe('hole 4: PROTECTED_NAMESPACES compare in lower case', () => {
  it('PROTECTED_NAMESPACES=Shop,Kube-System protects kube-system/victim and SHOP/web-1', async () => {
    const fn = await startDeletePod({ PROTECTED_NAMESPACES: 'Shop,Kube-System', POD_NAMESPACE: 'Falco-Response' });
    for (const [namespace, pod] of [
      ['kube-system', 'victim'],
      ['SHOP', 'web-1'],
      ['shop', 'web-1'],
      ['falco-response', 'fn'],
    ]) {
      const answer = await postJson(fn.url, alertNaming(namespace!, pod!));
      expect(JSON.parse(answer.body), `${namespace}/${pod}`).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
    }
    expect(JSON.parse((await postJson(fn.url, alertNaming('payments', 'web-1'))).body)).toMatchObject({
      outcome: 'dry-run',
      reason: 'no-cluster',
    });
  });
});

describe('the smaller findings', () => {
  it.each([
    ['application/cloudevents+json; charset=utf-8'],
    ['Application/CloudEvents+JSON'],
    ['APPLICATION/CLOUDEVENTS+JSON;charset=UTF-8'],
  ])('accepts a structured CloudEvent sent as %s', async (contentType) => {
    const fn = await startDeletePod();
    const request = structuredCloudEvent({ data: alertNaming('shop', 'web-1') }, contentType);
    const answer = await sendRequest(fn.url, 'POST', '/', request.headers, request.body);
    expect(answer.status).toBe(200);
    expect((HTTP.toEvent({ headers: answer.headers as Record<string, string>, body: answer.body }) as CloudEvent<any>).data).toMatchObject({
      reason: 'no-cluster',
    });
  });

  it('skips alerts dated in the future beyond MAX_CLOCK_SKEW_SECONDS, and takes a few seconds of skew', async () => {
    const fn = await startDeletePod();
    const future = JSON.parse((await postJson(fn.url, { ...alertNaming('shop', 'web-1'), time: '9999-12-31T23:59:59Z' })).body);
    expect(future).toMatchObject({ outcome: 'skipped', reason: 'alert-from-future' });
    const skewed = JSON.parse(
      (await postJson(fn.url, { ...alertNaming('shop', 'web-1'), time: new Date(Date.now() + 60_000).toISOString() })).body,
    );
    expect(skewed).toMatchObject({ outcome: 'dry-run', reason: 'no-cluster' });
  });

  it('refuses a key given twice in one object, in a plain body, binary-mode data and structured data', async () => {
    const fn = await startDeletePod();
    const alert = JSON.stringify(alertNaming('shop', 'web-1'));
    const twice = alert.replace('"k8s.ns.name":"shop"', '"k8s.ns.name":"kube-system","k8s.ns.name":"shop"');
    expect(twice).not.toBe(alert);
    const plain = await postJson(fn.url, twice);
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.body).message).toContain('output_fields.k8s.ns.name');
    const binary = binaryCloudEvent(JSON.parse(alert));
    expect((await sendRequest(fn.url, 'POST', '/', { ...binary.headers, 'content-length': String(twice.length) }, twice)).status).toBe(400);
    const structured = `{"specversion":"1.0","id":"1","source":"s","type":"t","data":${twice}}`;
    expect(
      (
        await sendRequest(
          fn.url,
          'POST',
          '/',
          { 'content-type': 'application/cloudevents+json', 'content-length': String(structured.length) },
          structured,
        )
      ).status,
    ).toBe(400);
    const escapedTwice = alert.replace('"k8s.ns.name":"shop"', '"k8s.ns.name":"kube-system","k8s\\u002ens.name":"shop"');
    expect((await postJson(fn.url, escapedTwice)).status).toBe(400);
  });

  it('refuses a structured CloudEvent with both data and data_base64, and data_base64 that is not UTF-8', async () => {
    const fn = await startDeletePod();
    const alert = alertNaming('shop', 'web-1');
    const both = structuredCloudEvent({
      data: alert,
      data_base64: Buffer.from(JSON.stringify(alertNaming('other', 'x'))).toString('base64'),
    });
    const answer = await sendRequest(fn.url, 'POST', '/', both.headers, both.body);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('either data or data_base64');
    const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(alert).slice(0, -1)},"x":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const invalid = structuredCloudEvent({ data_base64: bytes.toString('base64') });
    const refused = await sendRequest(fn.url, 'POST', '/', invalid.headers, invalid.body);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('valid UTF-8');
    const good = structuredCloudEvent({ data_base64: Buffer.from(JSON.stringify(alert)).toString('base64') });
    expect((await sendRequest(fn.url, 'POST', '/', good.headers, good.body)).status).toBe(200);
  });

  it('METRICS_AUTH=token: /metrics needs the token; the default leaves it open', async () => {
    const closed = await startDeletePod({ AUTH_TOKEN: TOKEN, METRICS_AUTH: 'token' });
    expect((await sendRequest(closed.url, 'GET', '/metrics', {})).status).toBe(401);
    expect((await sendRequest(closed.url, 'GET', '/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await sendRequest(closed.url, 'GET', '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const open = await startDeletePod({ AUTH_TOKEN: TOKEN });
    expect((await sendRequest(open.url, 'GET', '/metrics', {})).status).toBe(200);
    expect(() => readFunctionConfig({ METRICS_AUTH: 'token' })).toThrow(/METRICS_AUTH=token needs AUTH_TOKEN/);
  });

  it('rule names of alerts the function is not configured for take no rule-label slot', async () => {
    const fn = await startDeletePod({ RULES: 'Terminal shell in container' });
    for (let i = 0; i < 300; i++) await postJson(fn.url, { ...alertNaming('shop', 'web-1'), rule: `made-up rule ${i}` });
    await postJson(fn.url, alertNaming('shop', 'web-1'));
    const metrics = (await sendRequest(fn.url, 'GET', '/metrics', {})).body;
    expect(metrics).toMatch(/falco_response_alerts_total\{outcome="skipped",reason="rule-not-selected",rule="\(not-selected\)"[^}]*\} 300/);
    expect(metrics).toMatch(
      /falco_response_alerts_total\{outcome="dry-run",reason="no-cluster",rule="Terminal shell in container"[^}]*\} 1/,
    );
    expect(metrics).not.toContain('made-up rule');
  }, 60_000);
});
