// Adding a function is one folder and one line in functions/registry.ts. On a copy of the
// repository with a throwaway fourth function added that way and nothing else, everything that
// lists functions picks it up: the manifests (stack.yml, knative/, the RBAC of every path, the
// chart), the bundler, `make serve` and the end-to-end suites.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { falcoAlert, freshAlert } from '../../../testbed/alerts/fixtures.ts';
import { postJson } from '../../../testbed/net/http-client.ts';

const run = promisify(execFile);
const repoRoot = new URL('../../../', import.meta.url).pathname;
const copy = mkdtempSync(join(tmpdir(), 'frf-fourth-'));
const NAME = 'label-pod';

const FOURTH_SPEC = `// A throwaway fourth function: labels the pod an alert names.
import { acted } from '../../shared/respond/decision.ts';
import type { PlanContext, ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';

export const labelPodSpec: ResponseFunctionSpec<'label-pod'> = {
  name: 'label-pod',
  summary: 'Labels the pod a Falco alert names.',
  deployment: { rules: 'Read sensitive file untrusted', minPriority: 'warning', openFaasCaller: 'webhook-with-token' },
  actionEvent: { reason: 'Labelled', action: 'Label' },
  rbacRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }],
  async plan({ target }: PlanContext) {
    return { reason: 'labelled', message: \`label pod \${target.namespace}/\${target.pod}\`, target, execute: async () => ({ decision: acted('labelled', 'labelled', { target }) }) };
  },
};
`;
const FOURTH_ENTRY = `import { runFunction } from '../../shared/function-main.ts';
import { labelPodSpec } from './spec.ts';

await runFunction(labelPodSpec);
`;

function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return run(process.execPath, args, { cwd: copy, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
}

const readCopy = (path: string): string => readFileSync(join(copy, path), 'utf8');
const documentsOf = (path: string): any[] => parseAllDocuments(readCopy(path)).map((d) => d.toJS());

beforeAll(() => {
  // What a clone holds (tracked files, and new ones not yet committed), without build output.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(copy, file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
  // The whole change: a folder and one registry line.
  mkdirSync(join(copy, 'functions', NAME));
  writeFileSync(join(copy, 'functions', NAME, 'spec.ts'), FOURTH_SPEC);
  writeFileSync(join(copy, 'functions', NAME, 'index.ts'), FOURTH_ENTRY);
  writeFileSync(
    join(copy, 'functions/registry.ts'),
    `${readCopy('functions/registry.ts')}export { labelPodSpec } from './label-pod/spec.ts';\n`,
  );
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('a fourth function added as a folder and one registry line', () => {
  it('make manifests writes its stack.yml entry, its Knative Service and its RBAC on every path, and then --check passes', async () => {
    const { stdout } = await node(['scripts/generate-manifests.ts']);
    expect(stdout).toMatch(/wrote\s+stack\.yml/);
    expect(stdout).toMatch(/wrote\s+knative\/20-label-pod\.yaml/);

    const stack = parse(readCopy('stack.yml'));
    expect(Object.keys(stack.functions)).toEqual(['delete-pod', 'isolate-pod', NAME, 'scale-to-zero']);
    expect(stack.functions[NAME]).toMatchObject({
      handler: `./dist/${NAME}`,
      environment: {
        RULES: 'Read sensitive file untrusted',
        MIN_PRIORITY: 'warning',
        AUTH_TOKEN_FILE: '/var/openfaas/secrets/falco-response-token',
      },
      annotations: { 'com.openfaas.serviceaccount': `falco-response-${NAME}` },
    });
    const [service] = documentsOf(`knative/20-${NAME}.yaml`);
    expect(service).toMatchObject({
      kind: 'Service',
      metadata: { name: NAME, namespace: 'falco-response' },
      spec: { template: { spec: { serviceAccountName: `falco-response-${NAME}` } } },
    });
    expect(service.spec.template.spec.containers[0].env).toContainEqual({ name: 'RULES', value: 'Read sensitive file untrusted' });

    const ownRule = { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] };
    for (const [file, role] of [
      ['knative/10-rbac.yaml', 'falco-response-knative-label-pod'],
      ['openfaas/rbac-pro.yaml', 'falco-response-openfaas-label-pod'],
    ] as const) {
      const objects = documentsOf(file);
      expect(objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === role)?.rules, file).toContainEqual(ownRule);
      expect(
        objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === `falco-response-${NAME}`),
        file,
      ).toBeDefined();
    }
    // Community Edition: its rule joins the union every function shares.
    expect(documentsOf('openfaas/rbac-ce.yaml').find((o) => o.kind === 'ClusterRole')?.rules).toContainEqual(ownRule);
    expect(readCopy('charts/falco-response-functions/templates/rbac-knative.yaml')).toContain(NAME);

    await expect(node(['scripts/generate-manifests.ts', '--check'])).resolves.toBeDefined();
  });

  it('the bundler builds its image folder beside the others', async () => {
    await node(['scripts/bundle.mjs', '--no-train']);
    for (const file of ['app.cjs', 'kube.cjs', 'start.cjs', 'train.cjs', 'Dockerfile'])
      expect(existsSync(join(copy, 'dist', NAME, file)), file).toBe(true);
    expect(JSON.parse(readCopy('dist/bundle-sizes.json')).bundles.map((b: { function: string }) => b.function)).toEqual([
      'delete-pod',
      'isolate-pod',
      NAME,
      'scale-to-zero',
    ]);
  });

  it('make serve serves it on its own port with the others, as a dry-run without a cluster', async () => {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, ['scripts/serve-all.mjs'], {
      cwd: copy,
      env: { PATH: process.env.PATH ?? '', HOME: copy, KUBECONFIG: join(copy, 'none'), SERVE_BASE_PORT: String(base) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      for (let i = 0; i < 300 && (output.match(/Server listening/g) ?? []).length < 4; i++) await new Promise((r) => setTimeout(r, 50));
      expect(output.match(/Server listening/g), output).toHaveLength(4);
      const answer = await postJson(`http://127.0.0.1:${base + 2}`, freshAlert(falcoAlert('terminal-shell-tekton')));
      expect(JSON.parse(answer.body)).toMatchObject({ function: NAME, outcome: 'dry-run', reason: 'no-cluster' });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the end-to-end suites list it: its bundle is expected, and a function without an end-to-end case fails them', async () => {
    const { stdout } = await node([
      '--input-type=module',
      '-e',
      "const m = await import('./testbed/functions/bundles.ts'); console.log(JSON.stringify(m.FUNCTION_NAMES));",
    ]);
    expect(JSON.parse(stdout)).toContain(NAME);
    const cases = node(['--input-type=module', '-e', "await import('./test/e2e/response-cases.ts');"]);
    await expect(cases).rejects.toMatchObject({
      stderr: expect.stringContaining(`function ${NAME} is registered (functions/index.ts) but has no end-to-end case`),
    });
  });
});
