// The Falcosidekick and Falco configuration we ship, checked against the functions: every
// address reaches a function we deploy, every function is reached once, the token travels in
// a form the function accepts, the falco-chart variants say the same as the plain ones, and
// the Falco rules snippet excuses exactly our images.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { normalizePriority, prioritySeverity } from '../../../shared/alert/priority.ts';
import { presentedHeaderToken } from '../../../shared/runtime/auth.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { KNATIVE_NAMESPACE } from '../../../packaging/names.ts';
import { substituteStackVariables } from '../../../packaging/stack-schema.ts';
import {
  envOf,
  knativeServiceOf,
  readYamlDocument,
  readYamlDocuments,
  repoRoot,
  type Manifest,
} from '../../../testbed/packaging/manifests.ts';

const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
const broker = readYamlDocuments('knative/eventing/10-broker.yaml').find((doc) => doc.kind === 'Broker')!;
const defaults = readFunctionConfig({ KUBECONFIG: '/nonexistent' }).runtime;

/** KEY=VALUE lines of an env file, comments and blank lines skipped. */
function readEnvFile(relativePath: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of readFileSync(join(repoRoot, relativePath), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    expect(at, line).toBeGreaterThan(0);
    entries[line.slice(0, at)] = line.slice(at + 1);
  }
  return entries;
}

/** How Falcosidekick reads WEBHOOK_CUSTOMHEADERS and CLOUDEVENTS_EXTENSIONS (config.go): "k:v,k:v", pairs that do not split in two are dropped. */
function falcosidekickMap(value: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const parts = pair.split(':');
    if (parts.length === 2) map[parts[0]!] = parts[1]!;
  }
  return map;
}

/** The env var Falcosidekick reads for a config key: <OUTPUT>_<KEY>. */
function envFromConfig(config: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [output, settings] of Object.entries(config)) {
    if (output === 'extraEnv') continue;
    // Top-level settings (customfields) are variables of their own name (CUSTOMFIELDS).
    if (typeof settings !== 'object' || settings === null) {
      env[output.toUpperCase()] = String(settings);
      continue;
    }
    for (const [key, value] of Object.entries(settings as Manifest)) env[`${output}_${key}`.toUpperCase()] = String(value);
  }
  return env;
}

const severity = (priority: string) => prioritySeverity(normalizePriority(priority)!);

/** The function a URL on the OpenFaaS gateway (http://gateway.openfaas...:8080/function/<name>) invokes. */
function gatewayFunction(url: string): string {
  const match = /^http:\/\/gateway\.openfaas(?:\.svc(?:\.cluster\.local)?)?:8080\/function\/([a-z0-9-]+)$/.exec(url);
  if (!match) throw new Error(`${url} is not a gateway function URL`);
  return match[1]!;
}

describe('Falcosidekick → Knative', () => {
  const values = readYamlDocument('falcosidekick/values-knative.yaml');

  it("posts CloudEvents to the Broker's ingress", () => {
    expect(values.config.cloudevents.address).toBe(
      `http://broker-ingress.knative-eventing.svc.cluster.local/${broker.metadata.namespace}/${broker.metadata.name}`,
    );
    expect(broker.metadata.namespace).toBe(KNATIVE_NAMESPACE);
  });

  it('holds back no alert a function would act on', () => {
    for (const spec of FUNCTION_SPECS) {
      const minPriority = envOf(knativeServiceOf(spec.name).spec.template.spec.containers[0]).MIN_PRIORITY!;
      expect(severity(values.config.cloudevents.minimumpriority), spec.name).toBeLessThanOrEqual(severity(minPriority));
    }
  });

  it("sends the token as the CloudEvent extension the functions read, through CLOUDEVENTS_EXTENSIONS (not the chart's unread config.cloudevents.extension)", () => {
    expect(values.config.cloudevents).not.toHaveProperty('extension');
    expect(values.config.cloudevents).not.toHaveProperty('extensions');
    expect(values.config.extraEnv).toEqual([
      {
        name: 'CLOUDEVENTS_EXTENSIONS',
        valueFrom: { secretKeyRef: { name: 'falcosidekick-falco-response', key: 'cloudevents-extensions' } },
      },
    ]);
    const env = readEnvFile('falcosidekick/knative.env');
    const extensions = falcosidekickMap(env.CLOUDEVENTS_EXTENSIONS!);
    expect(Object.keys(extensions)).toEqual([defaults.authExtension]);
    // The Broker delivers the extension as a ce-<name> header; the function takes the token from it.
    expect(presentedHeaderToken({ ceExtensionHeader: extensions[defaults.authExtension] })).toBe('CHANGE-ME');
  });

  it('every function behind the Broker requires that token', () => {
    for (const spec of FUNCTION_SPECS) expect(envOf(knativeServiceOf(spec.name).spec.template.spec.containers[0]).AUTH_TOKEN).toBeDefined();
  });

  it('stamps alerts with the cluster they come from (CUSTOMFIELDS), as CLUSTER_NAME matches it', () => {
    for (const file of ['falcosidekick/values-knative.yaml', 'falcosidekick/values-openfaas.yaml'])
      expect(readYamlDocument(file).config.customfields).toMatch(/^cluster:[a-z0-9-]+$/);
    for (const file of ['falcosidekick/knative.env', 'falcosidekick/openfaas.env'])
      expect(readEnvFile(file).CUSTOMFIELDS).toMatch(/^cluster:[a-z0-9-]+$/);
  });

  it('knative.env sets what the values file sets', () => {
    expect(readEnvFile('falcosidekick/knative.env')).toEqual({
      ...envFromConfig(values.config),
      CLOUDEVENTS_EXTENSIONS: 'authtoken:CHANGE-ME',
    });
  });
});

describe('Falcosidekick → OpenFaaS', () => {
  const values = readYamlDocument('falcosidekick/values-openfaas.yaml');
  const config = values.config;
  const env = readEnvFile('falcosidekick/openfaas.env');

  const routes = [
    { output: 'openfaas', fn: config.openfaas.functionname as string, carries: 'nothing' },
    { output: 'webhook', fn: gatewayFunction(config.webhook.address), carries: 'header' },
    { output: 'cloudevents', fn: gatewayFunction(config.cloudevents.address), carries: 'extension' },
  ];

  it('reaches every function in stack.yml exactly once', () => {
    expect(routes.map((route) => route.fn).sort()).toEqual(Object.keys(stack.functions).sort());
    expect(config.openfaas.functionnamespace).toBe(stack.functions[config.openfaas.functionname].namespace);
    expect(`${config.openfaas.gatewayservice}.${config.openfaas.gatewaynamespace}:${config.openfaas.gatewayport}`).toBe(
      'gateway.openfaas:8080',
    );
  });

  it('each output holds back no alert its function would act on', () => {
    for (const { output, fn } of routes)
      expect(severity(config[output].minimumpriority), `${output} → ${fn}`).toBeLessThanOrEqual(
        severity(stack.functions[fn].environment.MIN_PRIORITY),
      );
  });

  it('a function requires the token exactly when its output can carry it, in a form the function accepts', () => {
    const extraEnv = Object.fromEntries((config.extraEnv as Manifest[]).map((entry) => [entry.name, entry.valueFrom.secretKeyRef]));
    for (const { output, fn, carries } of routes) {
      const requiresToken = stack.functions[fn].environment.AUTH_TOKEN_FILE !== undefined;
      expect(requiresToken, `${fn} via ${output}`).toBe(carries !== 'nothing');
      if (carries === 'header') {
        expect(extraEnv.WEBHOOK_CUSTOMHEADERS).toBeDefined();
        const headers = falcosidekickMap(env.WEBHOOK_CUSTOMHEADERS!);
        expect(presentedHeaderToken({ authorization: headers.Authorization })).toBe('CHANGE-ME');
      }
      if (carries === 'extension') {
        expect(extraEnv.CLOUDEVENTS_EXTENSIONS).toBeDefined();
        expect(presentedHeaderToken({ ceExtensionHeader: falcosidekickMap(env.CLOUDEVENTS_EXTENSIONS!)[defaults.authExtension] })).toBe(
          'CHANGE-ME',
        );
      }
    }
  });

  it('keeps the token out of the values (no customHeaders, no extension key)', () => {
    expect(config.webhook).not.toHaveProperty('customHeaders');
    expect(config.cloudevents).not.toHaveProperty('extension');
  });

  it('openfaas.env sets what the values file sets', () => {
    expect(env).toEqual({
      ...envFromConfig(config),
      WEBHOOK_CUSTOMHEADERS: 'Authorization:Bearer CHANGE-ME',
      CLOUDEVENTS_EXTENSIONS: 'authtoken:CHANGE-ME',
    });
  });
});

describe('the falco chart variants and the Falco rules snippet', () => {
  const rulesText = readFileSync(join(repoRoot, 'falco/falco-response-rules.yaml'), 'utf8');

  it.each(['knative', 'openfaas'])(
    "values-falco-chart-%s.yaml: falcosidekick.config is the plain chart's config, plus the rules snippet",
    (path) => {
      const chart = readYamlDocument(`falcosidekick/values-falco-chart-${path}.yaml`);
      expect(chart.falcosidekick.enabled).toBe(true);
      expect(chart.falcosidekick.config).toEqual(readYamlDocument(`falcosidekick/values-${path}.yaml`).config);
      expect(Object.keys(chart)).toEqual(['falcosidekick', 'customRules']);
      expect(chart.customRules['falco-response-rules.yaml']).toBe(rulesText.trimEnd());
    },
  );

  it("appends our images to user_known_contact_k8s_api_server_activities (Falco's override syntax), for our node process only", () => {
    const rules = parse(rulesText) as Manifest[];
    const macro = rules.find((item) => item.macro === 'user_known_contact_k8s_api_server_activities')!;
    expect(macro.override).toEqual({ condition: 'append' });
    // Appended text follows the default "(never_true)": it must start with "or".
    expect(macro.condition).toMatch(/^or \(container\.image\.repository in \(falco_response_images\) and proc\.name = node\)$/);
    const list = rules.find((item) => item.list === 'falco_response_images')!;
    const repositories = Object.values(stack.functions as Record<string, Manifest>).map((fn) => fn.image.replace(/:[^/:]+$/, ''));
    expect(list.items).toEqual(repositories);
    for (const spec of FUNCTION_SPECS) {
      expect(list.items).toContain(knativeServiceOf(spec.name).spec.template.spec.containers[0].image.replace(/:[^/:]+$/, ''));
    }
    expect(rules).toHaveLength(2);
  });
});
