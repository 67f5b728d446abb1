// stack.yml against a strict schema of the OpenFaaS stack format (faas-cli itself ignores
// unknown keys, and faas-cli is not installable here), and against the rest of the project:
// function names, images, RBAC, secrets and a configuration the functions accept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { imageName, OPENFAAS_AUTH_TOKEN_FILE, OPENFAAS_FUNCTION_NAMESPACE, serviceAccountName } from '../../../packaging/names.ts';
import { STACK_SCHEMA, substituteStackVariables } from '../../../packaging/stack-schema.ts';
import { configFromManifestEnv, configVariablesRead } from '../../../testbed/packaging/config.ts';
import { readYamlDocument, readYamlDocuments, repoRoot } from '../../../testbed/packaging/manifests.ts';

const STACK_TEXT = readFileSync(join(repoRoot, 'stack.yml'), 'utf8');
const validate = new Ajv({ strict: true, allErrors: true }).compile(STACK_SCHEMA);

function stackWith(env: Record<string, string> = {}): Record<string, any> {
  return parse(substituteStackVariables(STACK_TEXT, env), { uniqueKeys: true, strict: true });
}

function errorsOf(stack: unknown): ErrorObject[] {
  return validate(stack) ? [] : [...(validate.errors ?? [])];
}

describe('the strict stack schema', () => {
  it('accepts stack.yml, with and without the registry and tag variables set', () => {
    expect(errorsOf(stackWith())).toEqual([]);
    expect(errorsOf(stackWith({ REGISTRY: 'registry.example.com/sec', TAG: '1.2.3', OPENFAAS_URL: 'https://gw.example.com' }))).toEqual([]);
  });

  it('rejects an unknown key, naming it (a typo faas-cli would ignore)', () => {
    const stack = stackWith();
    stack.functions['delete-pod'].enviroment = stack.functions['delete-pod'].environment;
    delete stack.functions['delete-pod'].environment;
    expect(errorsOf(stack)).toContainEqual(
      expect.objectContaining({
        instancePath: '/functions/delete-pod',
        keyword: 'additionalProperties',
        params: { additionalProperty: 'enviroment' },
      }),
    );
  });

  it('rejects unknown keys at every level', () => {
    for (const mutate of [
      (s: any) => (s.gatway = 'x'),
      (s: any) => (s.provider.url = 'http://x'),
      (s: any) => (s.functions['isolate-pod'].limits.memroy = '1Gi'),
      (s: any) => (s.configuration = { template: [] }),
    ]) {
      const stack = stackWith();
      mutate(stack);
      expect(errorsOf(stack).map((e) => e.keyword)).toContain('additionalProperties');
    }
  });

  it('rejects a function missing a required field', () => {
    const stack = stackWith();
    delete stack.functions['scale-to-zero'].image;
    expect(errorsOf(stack)).toContainEqual(
      expect.objectContaining({ instancePath: '/functions/scale-to-zero', keyword: 'required', params: { missingProperty: 'image' } }),
    );
  });

  it('rejects wrong types', () => {
    const cases: Array<[(s: any) => void, string]> = [
      [(s) => (s.functions['delete-pod'].readonly_root_filesystem = 'true'), '/functions/delete-pod/readonly_root_filesystem'],
      [(s) => (s.functions['isolate-pod'].secrets = 'falco-response-token'), '/functions/isolate-pod/secrets'],
      [(s) => (s.functions['delete-pod'].labels['com.openfaas.scale.min'] = 1), '/functions/delete-pod/labels/com.openfaas.scale.min'],
      [(s) => (s.functions['delete-pod'].environment.DRY_RUN = false), '/functions/delete-pod/environment/DRY_RUN'],
      [(s) => (s.version = 1), '/version'],
    ];
    for (const [mutate, path] of cases) {
      const stack = stackWith();
      mutate(stack);
      expect(
        errorsOf(stack).map((e) => e.instancePath),
        path,
      ).toContain(path);
    }
  });

  // biome-ignore-start lint/suspicious/noTemplateCurlyInString: faas-cli's ${VAR:-default} substitution, not template literals
  it('only substitutes ${NAME} and ${NAME:-default}', () => {
    expect(substituteStackVariables('${A:-x}/${B}/${C:-}', { B: 'b' })).toBe('x/b/');
    expect(() => substituteStackVariables('${A:=x}', {})).toThrow(/unsupported substitution/);
  });
  // biome-ignore-end lint/suspicious/noTemplateCurlyInString: as above
});

describe('stack.yml against the project', () => {
  const stack = stackWith();
  const functions = Object.entries(stack.functions as Record<string, any>);

  it('declares exactly the three functions', () => {
    expect(functions.map(([name]) => name)).toEqual(FUNCTION_SPECS.map((spec) => spec.name));
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: built from its bundle folder with its own Dockerfile, image under the configurable registry',
    (fn) => {
      const entry = stack.functions[fn];
      expect(entry.lang).toBe('dockerfile');
      // scripts/bundle.mjs writes dist/<fn>/ (bundle + Dockerfile); the Dockerfile test checks its content.
      expect(entry.handler).toBe(`./dist/${fn}`);
      expect(entry.image).toBe(`ghcr.io/example/${imageName(fn)}:0.1.0`);
      expect(stackWith({ REGISTRY: 'r.example/x', TAG: '9.9.9' }).functions[fn].image).toBe(`r.example/x/${imageName(fn)}:9.9.9`);
      expect(entry.namespace).toBe(OPENFAAS_FUNCTION_NAMESPACE);
      expect(entry.readonly_root_filesystem).toBe(true);
    },
  );

  it('ships template/dockerfile/template.yml so faas-cli needs no template download', () => {
    expect(readYamlDocument('template/dockerfile/template.yml')).toEqual({ language: 'dockerfile' });
  });

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: the Pro ServiceAccount annotation names the one openfaas/rbac-pro.yaml creates',
    (fn) => {
      const account = stack.functions[fn].annotations['com.openfaas.serviceaccount'];
      expect(account).toBe(serviceAccountName(fn));
      const accounts = readYamlDocuments('openfaas/rbac-pro.yaml').filter((doc) => doc.kind === 'ServiceAccount');
      expect(accounts).toContainEqual(
        expect.objectContaining({ metadata: expect.objectContaining({ name: account, namespace: OPENFAAS_FUNCTION_NAMESPACE }) }),
      );
    },
  );

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: a token file comes with the secret that provides it, and the other way round',
    (fn) => {
      const entry = stack.functions[fn];
      const tokenFile = entry.environment.AUTH_TOKEN_FILE;
      const secrets: string[] = entry.secrets ?? [];
      if (tokenFile === undefined) {
        expect(secrets).toEqual([]);
        return;
      }
      expect(tokenFile).toBe(OPENFAAS_AUTH_TOKEN_FILE);
      expect(secrets.map((secret) => `/var/openfaas/secrets/${secret}`)).toContain(tokenFile);
    },
  );

  it.each(FUNCTION_SPECS.map((spec) => spec.name))(
    '%s: every environment variable is one the function reads, with a value it accepts',
    (fn) => {
      const environment: Record<string, string> = stack.functions[fn].environment;
      const known = configVariablesRead();
      expect(Object.keys(environment).filter((name) => !known.has(name))).toEqual([]);
      const config = configFromManifestEnv(environment);
      expect(config.pipeline.rules.map((rule) => rule.source)).toEqual([environment.RULES]);
      expect(config.runtime.authToken !== undefined).toBe(environment.AUTH_TOKEN_FILE !== undefined);
    },
  );

  it.each(FUNCTION_SPECS.map((spec) => spec.name))('%s: always one warm replica, within Community Edition limits', (fn) => {
    const labels = stack.functions[fn].labels;
    const min = Number(labels['com.openfaas.scale.min']);
    const max = Number(labels['com.openfaas.scale.max']);
    expect(min).toBeGreaterThanOrEqual(1);
    expect(max).toBeGreaterThanOrEqual(min);
    expect(max).toBeLessThanOrEqual(5);
    expect(labels['com.openfaas.scale.zero']).toBe('false');
  });
});
