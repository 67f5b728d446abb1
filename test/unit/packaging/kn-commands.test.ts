// docs/kn-commands.md gives the `kn` commands equivalent to knative/. kn is not installable
// here, so the commands are parsed (as a shell would split them) and each flag is compared
// with the YAML, the way kn would turn it into a field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { envOf, knativeServiceOf, readYamlDocuments, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const DOC = readFileSync(join(repoRoot, 'docs/kn-commands.md'), 'utf8');

/** Shell words of a command line: whitespace-separated, double quotes grouping (no escapes used in the doc). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) words.push(match[0].replace(/"/g, ''));
  return words;
}

/** Every command in the doc's ```sh blocks, continuation lines joined. */
function commands(): string[][] {
  const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks
    .flatMap((block) =>
      block
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    )
    .map(shellWords);
}

/** `--flag value` pairs (repeatable flags collect), boolean flags given as "true". */
function flagsOf(words: string[], booleans: string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) throw new Error(`unexpected argument ${word} in: ${words.join(' ')}`);
    const name = word.slice(2);
    const value = booleans.includes(name) ? 'true' : words[++i];
    if (value === undefined) throw new Error(`--${name} has no value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

const find = (prefix: string[], name: string) => {
  const found = commands().filter((words) => prefix.every((word, i) => words[i] === word) && words[prefix.length] === name);
  expect(found, `${prefix.join(' ')} ${name} appears once in docs/kn-commands.md`).toHaveLength(1);
  return found[0]!.slice(prefix.length + 1);
};

const single = (flags: Map<string, string[]>, name: string) => {
  const values = flags.get(name) ?? [];
  expect(values, `--${name}`).toHaveLength(1);
  return values[0]!;
};

const keyValues = (values: string[] = []) =>
  Object.fromEntries(
    values.flatMap((value) => value.split(',')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );

// The kn service create flags the doc may use (kn docs/cmd/kn_service_create.md).
const SERVICE_FLAGS = [
  'namespace',
  'image',
  'service-account',
  'cluster-local',
  'label',
  'port',
  'env',
  'env-value-from',
  'scale-min',
  'scale-max',
  'concurrency-limit',
  'timeout',
  'probe-readiness',
  'probe-readiness-opts',
  'probe-liveness',
  'probe-liveness-opts',
  'request',
  'limit',
];

describe.each(FUNCTION_SPECS.map((spec) => spec.name))('kn service create %s', (fn) => {
  const flags = flagsOf(find(['kn', 'service', 'create'], fn), ['cluster-local']);
  const service = knativeServiceOf(fn);
  const template = service.spec.template;
  const container = template.spec.containers[0];

  it('uses only known kn flags', () => {
    expect([...flags.keys()].filter((name) => !SERVICE_FLAGS.includes(name))).toEqual([]);
  });

  it('names the same namespace, image, service account and port', () => {
    expect(single(flags, 'namespace')).toBe(service.metadata.namespace);
    expect(single(flags, 'image')).toBe(container.image);
    expect(single(flags, 'service-account')).toBe(template.spec.serviceAccountName);
    expect(single(flags, 'port')).toBe(`${container.ports[0].name}:${container.ports[0].containerPort}`);
  });

  it('sets the same environment, the token from the same Secret key', () => {
    const env: Record<string, string> = {};
    for (const value of flags.get('env') ?? []) env[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
    for (const value of flags.get('env-value-from') ?? []) {
      const [name, source] = [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)];
      const [kind, secret, key] = source.split(':');
      expect(kind).toBe('secret');
      env[name] = `valueFrom:${secret}/${key}`;
    }
    expect(env).toEqual(envOf(container));
  });

  it('sets the same scale bounds, concurrency limit and timeout', () => {
    expect(single(flags, 'scale-min')).toBe(template.metadata.annotations['autoscaling.knative.dev/min-scale']);
    expect(single(flags, 'scale-max')).toBe(template.metadata.annotations['autoscaling.knative.dev/max-scale']);
    expect(Number(single(flags, 'concurrency-limit'))).toBe(template.spec.containerConcurrency);
    expect(Number(single(flags, 'timeout'))).toBe(template.spec.timeoutSeconds);
  });

  it('is cluster-local with the same labels', () => {
    expect(single(flags, 'cluster-local')).toBe('true');
    expect(service.metadata.labels['networking.knative.dev/visibility']).toBe('cluster-local');
    const labels = keyValues(flags.get('label'));
    // kn --label sets both the Service's and the revision template's labels.
    const { 'networking.knative.dev/visibility': _visibility, ...serviceLabels } = service.metadata.labels;
    expect(labels).toEqual(serviceLabels);
    expect(labels).toEqual(template.metadata.labels);
  });

  it('probes the same paths with the same options', () => {
    for (const [flag, probe] of [
      ['probe-readiness', container.readinessProbe],
      ['probe-liveness', container.livenessProbe],
    ] as const) {
      // kn's format http:host:port:path, host and port left empty as Knative requires.
      expect(single(flags, flag)).toBe(`http:::${probe.httpGet.path}`);
      const options = keyValues(flags.get(`${flag}-opts`));
      const expected = Object.fromEntries(
        Object.entries(probe)
          .filter(([key]) => key !== 'httpGet')
          .map(([key, value]) => [key.charAt(0).toUpperCase() + key.slice(1), String(value)]),
      );
      expect(options).toEqual(expected);
    }
  });

  it('requests and limits the same resources', () => {
    expect(keyValues(flags.get('request'))).toEqual(container.resources.requests);
    expect(keyValues(flags.get('limit'))).toEqual(container.resources.limits);
  });
});

describe('kn broker and trigger commands', () => {
  const broker = readYamlDocuments('knative/eventing/10-broker.yaml').find((doc) => doc.kind === 'Broker')!;

  it("kn broker create sets the Broker's delivery", () => {
    const flags = flagsOf(find(['kn', 'broker', 'create'], broker.metadata.name), []);
    expect(single(flags, 'namespace')).toBe(broker.metadata.namespace);
    const delivery = broker.spec.delivery;
    expect(Number(single(flags, 'retry'))).toBe(delivery.retry);
    expect(single(flags, 'backoff-policy')).toBe(delivery.backoffPolicy);
    expect(single(flags, 'backoff-delay')).toBe(delivery.backoffDelay);
    expect(single(flags, 'dl-sink')).toBe(`ksvc:${delivery.deadLetterSink.ref.name}`);
  });

  it.each(
    readYamlDocuments('knative/eventing/20-triggers.yaml').map((trigger: Manifest) => [trigger.metadata.name as string, trigger] as const),
  )('kn trigger create %s filters and delivers as the Trigger', (name, trigger) => {
    const flags = flagsOf(find(['kn', 'trigger', 'create'], name), []);
    expect(single(flags, 'namespace')).toBe(trigger.metadata.namespace);
    expect(single(flags, 'broker')).toBe(trigger.spec.broker);
    expect(keyValues(flags.get('filter'))).toEqual(trigger.spec.filter.attributes);
    expect(single(flags, 'sink')).toBe(`ksvc:${trigger.spec.subscriber.ref.name}`);
  });
});
