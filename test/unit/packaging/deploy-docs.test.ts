// The README's Deploying section walks a newcomer through each path: the files it names must exist, and the
// names in its commands (Secrets, keys, Trigger filters) must be the ones the manifests use.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../../functions/delete-pod/spec.ts';
import { buildFunction } from '../../../shared/function-main.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { AUTH_TOKEN_SECRET } from '../../../packaging/names.ts';
import { substituteStackVariables } from '../../../packaging/stack-schema.ts';
import { envOf, knativeServiceOf, readYamlDocument, readYamlDocuments, repoRoot } from '../../../testbed/packaging/manifests.ts';
import { falcosidekickTestAlert } from '../../../testbed/alerts/fixtures.ts';

// The deployment walk-through: the README's quick starts and operations, and the docs/ pages they link to.
const README = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const DOCS = readdirSync(join(repoRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => readFileSync(join(repoRoot, 'docs', name), 'utf8'));
const DOC = [README.slice(README.indexOf('\n## Quick start'), README.indexOf('\n## Development')), ...DOCS].join('\n');
const ROOTS = [
  'charts/',
  'observability/',
  'knative/',
  'openfaas/',
  'falco/',
  'falcosidekick/',
  'examples/',
  'packaging/',
  'scripts/',
  'template/',
  'docs/',
  'test/',
];

describe('README: Quick start', () => {
  it('names only files and folders that exist (dist/ and build/ are made by the build)', () => {
    const named = [...DOC.matchAll(/`([a-z0-9._/<>-]+)`/g)]
      .map((match) => match[1]!)
      .filter((path) => ROOTS.some((root) => path.startsWith(root)) || path === 'stack.yml');
    const concrete = named.filter((path) => !path.includes('<') && !path.includes('*'));
    expect(concrete.length).toBeGreaterThan(15);
    expect(concrete.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
  });

  it('creates the Knative token Secret with the name and key the Services read', () => {
    const reference = readYamlDocument('knative/20-delete-pod.yaml').spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === 'AUTH_TOKEN',
    ).valueFrom.secretKeyRef;
    expect(DOC).toContain(`create secret generic ${reference.name} --from-literal=${reference.key}="$TOKEN"`);
    expect(reference.name).toBe(AUTH_TOKEN_SECRET);
  });

  it('creates the OpenFaaS secret stack.yml lists', () => {
    const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
    const secrets = new Set(Object.values(stack.functions as Record<string, { secrets?: string[] }>).flatMap((fn) => fn.secrets ?? []));
    for (const secret of secrets) expect(DOC).toContain(`faas-cli secret create ${secret} `);
  });

  it("creates Falcosidekick's Secret with every key the values files read", () => {
    for (const file of ['falcosidekick/values-knative.yaml', 'falcosidekick/values-openfaas.yaml']) {
      for (const entry of readYamlDocument(file).config.extraEnv as Array<{ valueFrom: { secretKeyRef: { name: string; key: string } } }>) {
        expect(DOC).toContain(`create secret generic ${entry.valueFrom.secretKeyRef.name}`);
        expect(DOC).toContain(`--from-literal=${entry.valueFrom.secretKeyRef.key}=`);
      }
    }
  });

  it('shows the Trigger filters as they are', () => {
    for (const trigger of readYamlDocuments('knative/eventing/20-triggers.yaml')) {
      const { type, rule, priority } = trigger.spec.filter.attributes;
      expect(DOC).toContain(`| ${trigger.metadata.name} | \`${type}\` | \`${rule}\` | ${priority ? `\`${priority}\`` : 'any'} |`);
    }
  });
});

describe("README: checking the path with Falcosidekick's test alert", () => {
  const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
  const documented = /answered `200 skipped ([a-z-]+)`/.exec(DOC)?.[1];

  it('reaches Falcosidekick by the Service name the falco chart gives it (<release>-falcosidekick), through a port-forward', () => {
    expect(DOC).toContain('kubectl -n falco port-forward svc/falco-falcosidekick 2801:2801 &');
    expect(DOC).toContain('curl -X POST http://127.0.0.1:2801/test');
    expect(DOC).not.toMatch(/http:\/\/falcosidekick:2801/);
  });

  it.each([
    ['stack.yml', () => stack.functions['delete-pod'].environment as Record<string, string>],
    ['knative/20-delete-pod.yaml', () => envOf(knativeServiceOf('delete-pod').spec.template.spec.containers[0])],
  ])('the answer it documents is the one delete-pod configured as in %s gives', async (_file, envOfFile) => {
    expect(documented, 'the README says what the test alert is answered').toBeDefined();
    const env: Record<string, string> = { ...envOfFile(), KUBECONFIG: '/nonexistent', LOCK_FILE: '', LOG_LEVEL: 'silent' };
    delete env.AUTH_TOKEN;
    delete env.AUTH_TOKEN_FILE;
    const { app } = buildFunction(deletePodSpec, readFunctionConfig(env));
    try {
      const alert = { ...falcosidekickTestAlert(), time: new Date().toISOString() };
      const answer = await app.inject({ method: 'POST', url: '/', payload: alert, headers: { 'content-type': 'application/json' } });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ outcome: 'skipped', reason: documented });
      expect(DOC).toContain(`falco_response_alerts_total{reason="${documented}"}`);
    } finally {
      await app.close();
    }
  });

  it('reads the Knative logs from the container name the YAML and kn both give (user-container)', () => {
    const names = new Set(
      ['delete-pod', 'isolate-pod', 'scale-to-zero'].map((fn) => knativeServiceOf(fn).spec.template.spec.containers[0].name),
    );
    expect([...names]).toEqual(['user-container']);
    const logCommands = [...DOC.matchAll(/kubectl -n falco-response logs -l serving\.knative\.dev\/service=delete-pod[^`]*/g)].map(
      (m) => m[0],
    );
    expect(logCommands.length).toBeGreaterThan(0);
    for (const command of logCommands) expect(command).toContain('-c user-container');
  });
});

describe('README: friction on the way', () => {
  it("reads the Broker's address from its status (it differs per broker class) and passes it to Falcosidekick", () => {
    expect(DOC).toContain(`kubectl -n falco-response get broker falco-alerts -o jsonpath='{.status.address.url}'`);
    expect(DOC).toContain('--set falcosidekick.config.cloudevents.address="$BROKER_URL"');
    expect(readFileSync(join(repoRoot, 'falcosidekick/values-knative.yaml'), 'utf8')).toContain('{.status.address.url}');
  });

  it('creates every namespace and Secret with commands that can run twice (create --dry-run=client | apply)', () => {
    // Shell lines ending in a backslash continue on the next one.
    const commands = DOC.replace(/\\\n\s*/g, ' ').split('\n');
    const creates = commands.filter((command) => /kubectl (-n \S+ )?create (namespace|secret)/.test(command));
    expect(creates.length).toBeGreaterThan(2);
    for (const command of creates) expect(command).toContain('--dry-run=client -o yaml | kubectl apply -f -');
  });

  it('waits for the OpenFaaS gateway before logging in, and every kubectl wait has a timeout', () => {
    const rollout = DOC.indexOf('kubectl -n openfaas rollout status deploy/gateway --timeout=');
    expect(rollout).toBeGreaterThan(0);
    expect(rollout).toBeLessThan(DOC.indexOf('faas-cli login'));
    for (const line of DOC.split('\n').filter((l) => l.includes('kubectl') && / wait /.test(l))) expect(line).toMatch(/--timeout=\d+[sm]/);
  });

  it('keeps the token across shells: stored in a file only its owner reads, or read back from the Secret', () => {
    expect(DOC).toContain('(umask 077 && openssl rand -hex 32 > ~/.falco-response-token)');
    expect(DOC).toContain('TOKEN=$(cat ~/.falco-response-token)\nexport TOKEN\n');
    expect(DOC).toMatch(/\nTOKEN=\$\(kubectl -n falco get secret falcosidekick-falco-response[^\n]*\nexport TOKEN\n/);
  });
});
