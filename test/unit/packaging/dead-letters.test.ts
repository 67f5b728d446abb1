// The Broker's dead-letter sink as shipped (the script inside knative/eventing/05-dead-letters.yaml),
// run with Node and sent the CloudEvents a Broker dead-letters: it logs what an operator needs,
// and never the shared token, which travels in every event as the extension `authtoken`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_SINK, functionBaseImage } from '../../../packaging/dead-letters-manifest.ts';
import { knativeServices, readYamlDocuments } from '../../../testbed/packaging/manifests.ts';
import { freePort } from '../../../testbed/net/ports.ts';
import { startProcess, type RunningProcess } from '../../../testbed/process/container-process.ts';
import { recordedRequest } from '../../../testbed/alerts/fixtures.ts';

const TOKEN = 'a3f1c9e07b5d42688e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7';
const docs = readYamlDocuments('knative/eventing/05-dead-letters.yaml');
const configMap = docs.find((doc) => doc.kind === 'ConfigMap')!;
const service = docs.find((doc) => doc.kind === 'Service')!;

let dir: string;
let sink: RunningProcess;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'frf-dead-letters-'));
  const [file] = Object.keys(configMap.data);
  writeFileSync(join(dir, file!), configMap.data[file!]);
  const port = await freePort();
  sink = startProcess(process.execPath, [join(dir, file!)], { cwd: dir, env: { PORT: String(port) } });
  url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100 && !sink.output().includes('"listening"'); i++) await sleep(50);
  expect(sink.output()).toContain('"listening"');
});

afterAll(async () => {
  await sink?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The lines the sink logged for one delivery. */
async function deliver(headers: Record<string, string>, body: string): Promise<{ status: number; lines: Array<Record<string, any>> }> {
  const before = sink.output().length;
  const answer = await fetch(url, { method: 'POST', headers, body });
  for (let i = 0; i < 40 && sink.output().length === before; i++) await sleep(25);
  const lines = sink
    .output()
    .slice(before)
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return { status: answer.status, lines };
}

const shell = recordedRequest('cloudevents-binary-terminal-shell');
const failed = {
  'Ce-Knativeerrordest': 'http://delete-pod.falco-response.svc.cluster.local',
  'Ce-Knativeerrorcode': '503',
  'Ce-Knativeerrordata': Buffer.from('{"error":"kubernetes API unavailable"}').toString('base64'),
};

describe('the dead-letter sink', () => {
  it("is the Service the Broker and the Triggers name, and runs the functions' base image (no event_display)", () => {
    expect(service.metadata.name).toBe(DEAD_LETTER_SINK);
    expect(service.spec.template.spec.containers[0].image).toBe(functionBaseImage());
    expect(service.spec.template.spec.volumes).toEqual([{ name: 'sink', configMap: { name: configMap.metadata.name } }]);
    for (const { service: other } of knativeServices()) expect(JSON.stringify(other)).not.toContain('event_display');
  });

  it("a binary-mode dead letter (the Broker's ce-* headers): logs id, rule, priority, the failed destination and its answer; not the token", async () => {
    const { status, lines } = await deliver({ ...shell.headers, 'Ce-Authtoken': TOKEN, ...failed }, shell.body);
    expect(status).toBe(202);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      event: {
        id: shell.headers['Ce-Id'],
        type: 'falco.rule.output.v1',
        rule: 'Terminal shell in container',
        knativeerrorcode: '503',
        knativeerrordest: failed['Ce-Knativeerrordest'],
      },
      alert: { rule: 'Terminal shell in container', output: JSON.parse(shell.body).output },
      answer: '{"error":"kubernetes API unavailable"}',
    });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(lines[0]!.event).not.toHaveProperty('authtoken');
  });

  it('a structured-mode dead letter (every attribute in the JSON body): the same, still without the token', async () => {
    const event = {
      specversion: '1.0',
      id: 'dl-2',
      source: 'https://falco.org',
      type: 'falco.rule.output.v1',
      rule: 'Terminal shell in container',
      authtoken: TOKEN,
      datacontenttype: 'application/json',
      data: JSON.parse(shell.body),
    };
    const { status, lines } = await deliver({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(status).toBe(202);
    expect(lines[0]).toMatchObject({
      event: { id: 'dl-2', rule: 'Terminal shell in container' },
      alert: { rule: 'Terminal shell in container' },
    });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('a body that is no JSON at all is still logged by its attributes and accepted', async () => {
    const { status, lines } = await deliver(
      { 'ce-id': 'dl-3', 'ce-type': 'falco.rule.output.v1', 'ce-authtoken': TOKEN, 'content-type': 'text/plain' },
      'not json',
    );
    expect(status).toBe(202);
    expect(lines[0]).toMatchObject({ event: { id: 'dl-3' }, alert: {} });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});
