// The Go CloudEvents sender the end-to-end tests and the demo use sends what a real
// Falcosidekick sent (test/fixtures/falcosidekick, recorded from one): the same headers by
// name and value, and the same body byte for byte, apart from the per-event id.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedRequest, type RecordedRequest } from '../../testbed/alerts/fixtures.ts';
import { cloudEventsSenderPath, sendCloudEvent } from '../../testbed/senders/cloudevents-sender.ts';

interface Received {
  method: string;
  path: string;
  /** Header names exactly as sent, in order. */
  rawHeaders: string[];
  body: string;
}

let server: http.Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  cloudEventsSenderPath();
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method!,
        path: request.url!,
        rawHeaders: request.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(202).end(); // accepted, no reply event
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function headerMap(rawHeaders: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i < rawHeaders.length; i += 2) headers.set(rawHeaders[i]!, rawHeaders[i + 1]!);
  return headers;
}

async function sendRecordedAlert(recording: RecordedRequest): Promise<Received> {
  const before = received.length;
  // The recorded body already carries Falcosidekick's uuid: keep it to compare byte for byte.
  const run = promisify(execFile)(cloudEventsSenderPath(), ['--target', url, '--alert', '-', '--keep-uuid']);
  run.child.stdin!.end(recording.body);
  const { stdout } = await run;
  expect(JSON.parse(stdout)).toMatchObject({ status: 202, ack: true, reply: null, replyError: 'empty reply' });
  expect(received).toHaveLength(before + 1);
  return received.at(-1)!;
}

describe('the Go CloudEvents sender, against requests recorded from a real Falcosidekick', () => {
  for (const fixture of ['cloudevents-binary-terminal-shell', 'cloudevents-binary-test-alert']) {
    it(`sends ${fixture} as Falcosidekick did: same headers, same body`, async () => {
      const recording = recordedRequest(fixture);
      const sent = await sendRecordedAlert(recording);
      expect(sent.method).toBe(recording.method);
      expect(sent.path).toBe(recording.path);
      expect(sent.body).toBe(recording.body);
      const headers = headerMap(sent.rawHeaders);
      // Host is not in the recordings; every HTTP/1.1 client sends it.
      expect([...headers.keys()].filter((name) => name !== 'Host').sort()).toEqual(Object.keys(recording.headers).sort());
      for (const [name, value] of Object.entries(recording.headers)) {
        if (name === 'Ce-Id') expect(headers.get(name)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        else expect(headers.get(name), name).toBe(value);
      }
    });
  }

  it('structured mode with --broker carries the broker extensions and the alert as data', async () => {
    const alert = JSON.parse(recordedRequest('cloudevents-binary-terminal-shell').body) as Record<string, unknown>;
    const report = await sendCloudEvent(url, alert, { mode: 'structured', broker: true, extensions: { authtoken: 's3cret' } });
    expect(report).toMatchObject({ status: 202, ack: true });
    const sent = received.at(-1)!;
    expect(headerMap(sent.rawHeaders).get('Content-Type')).toBe('application/cloudevents+json');
    const event = JSON.parse(sent.body) as Record<string, any>;
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'falco.rule.output.v1',
      source: 'https://falco.org',
      time: alert.time,
      datacontenttype: 'application/json',
      priority: 'Notice',
      rule: 'Terminal shell in container',
      eventsource: 'syscalls',
      authtoken: 's3cret',
      knativearrivaltime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    });
    expect(event.data).toMatchObject({ rule: 'Terminal shell in container', uuid: expect.any(String) });
    expect(event.data.uuid).not.toBe(alert.uuid); // stamped anew, as Falcosidekick stamps each alert it receives
  });

  it('reports a request nobody answered as undelivered (exit 1), as Falcosidekick logs it', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      sendCloudEvent(`http://127.0.0.1:${port}`, JSON.parse(recordedRequest('cloudevents-binary-test-alert').body)),
    ).rejects.toThrow(/exited 1: .*"status":0.*connection refused/);
  });
});
