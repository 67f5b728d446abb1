// The Knative Services in knative/: Knative's admission webhook enforces rules its CRD schema
// cannot express (knative.dev/serving v0.51.0, pkg/apis/serving/k8s_validation.go and
// fieldmask.go; the schema itself is checked against the real CRD in the integration tests).
// Also checked against the functions themselves: the probe paths are ones the runtime serves,
// the environment is one the configuration reader accepts, the timeouts fit the code's.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunction } from '../../../shared/function-main.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { AUTH_TOKEN_SECRET, KNATIVE_NAMESPACE, PART_OF } from '../../../packaging/names.ts';
import { substituteStackVariables } from '../../../packaging/stack-schema.ts';
import { configFromManifestEnv, configVariablesRead } from '../../../testbed/packaging/config.ts';
import { envOf, knativeServiceOf, knativeServices, readYamlDocument, repoRoot, yamlFilesIn } from '../../../testbed/packaging/manifests.ts';

// From knative.dev/serving v0.51.0 pkg/apis/serving/k8s_validation.go.
const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'];
const RESERVED_PORTS = [8012, 8013, 8022, 9090, 9091, 8008];
const VALID_PORT_NAMES = ['', 'h2c', 'http1'];
// SecurityContextMask (fieldmask.go): the container securityContext fields Knative allows.
const ALLOWED_SECURITY_CONTEXT = [
  'capabilities',
  'readOnlyRootFilesystem',
  'runAsUser',
  'runAsGroup',
  'runAsNonRoot',
  'allowPrivilegeEscalation',
  'seccompProfile',
  'privileged',
];
// Revision spec fields these manifests may use without a Knative feature flag.
const ALLOWED_REVISION_SPEC = [
  'containers',
  'serviceAccountName',
  'containerConcurrency',
  'timeoutSeconds',
  'volumes',
  'imagePullSecrets',
  'enableServiceLinks',
  'automountServiceAccountToken',
  'idleTimeoutSeconds',
  'responseStartTimeoutSeconds',
];
// Defaults of config-defaults: max-revision-timeout-seconds and container-concurrency-max-limit.
const MAX_REVISION_TIMEOUT_SECONDS = 600;
const MAX_CONTAINER_CONCURRENCY = 1000;

const services = knativeServices();
const functionNames = FUNCTION_SPECS.map((spec) => spec.name);
const userContainer = (service: Record<string, any>) => service.spec.template.spec.containers[0];

describe('knative/ layout', () => {
  it('`kubectl apply -f knative/` creates the namespace, then RBAC, then the Services, then their NetworkPolicy', () => {
    expect(yamlFilesIn('knative')).toEqual([
      'knative/00-namespace.yaml',
      'knative/10-rbac.yaml',
      ...functionNames.map((fn) => `knative/20-${fn}.yaml`),
      'knative/30-network-policy.yaml',
    ]);
    expect(readYamlDocument('knative/00-namespace.yaml')).toMatchObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: KNATIVE_NAMESPACE },
    });
    expect(yamlFilesIn('knative/eventing')).toEqual([
      'knative/eventing/05-dead-letters.yaml',
      'knative/eventing/10-broker.yaml',
      'knative/eventing/20-triggers.yaml',
    ]);
  });

  it('one Knative Service per function, plus the dead-letter sink', () => {
    expect(services.map(({ service }) => service.metadata.name).sort()).toEqual([...functionNames, 'falco-response-dead-letters'].sort());
  });
});

describe.each(services.map(({ file, service }) => [service.metadata.name as string, file, service] as const))(
  'Knative webhook rules: %s (%s)',
  (name, _file, service) => {
    it('is a serving.knative.dev/v1 Service in falco-response, cluster-local', () => {
      expect(service).toMatchObject({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { namespace: KNATIVE_NAMESPACE } });
      expect(service.metadata.labels['networking.knative.dev/visibility']).toBe('cluster-local');
      expect(service.metadata.labels['app.kubernetes.io/part-of']).toBe(PART_OF);
    });

    it('has autoscaling annotations only on the revision template', () => {
      const onService = Object.keys(service.metadata.annotations ?? {}).filter((key) => key.startsWith('autoscaling.knative.dev/'));
      expect(onService).toEqual([]);
      const onTemplate = service.spec.template.metadata?.annotations ?? {};
      for (const [key, value] of Object.entries(onTemplate)) {
        if (!key.startsWith('autoscaling.knative.dev/')) continue;
        expect(typeof value, key).toBe('string');
      }
      const min = onTemplate['autoscaling.knative.dev/min-scale'];
      const max = onTemplate['autoscaling.knative.dev/max-scale'];
      if (min !== undefined && max !== undefined) expect(Number(min)).toBeLessThanOrEqual(Number(max));
    });

    it('uses only revision spec fields Knative allows without feature flags', () => {
      expect(Object.keys(service.spec.template.spec).filter((key) => !ALLOWED_REVISION_SPEC.includes(key))).toEqual([]);
      expect(Object.keys(service.spec).filter((key) => !['template', 'traffic'].includes(key))).toEqual([]);
    });

    it('has one container with exactly one port: allowed name, TCP, not a port the queue-proxy reserves', () => {
      const containers = service.spec.template.spec.containers;
      expect(containers).toHaveLength(1);
      expect(containers[0].name).not.toBe('queue-proxy');
      const ports = containers[0].ports ?? [];
      expect(ports).toHaveLength(1);
      expect(VALID_PORT_NAMES).toContain(ports[0].name ?? '');
      expect([undefined, 'TCP']).toContain(ports[0].protocol);
      expect(RESERVED_PORTS).not.toContain(ports[0].containerPort);
    });

    it('sets no reserved environment variable', () => {
      const names = (userContainer(service).env ?? []).map((entry: { name: string }) => entry.name);
      expect(names.filter((n: string) => RESERVED_ENV.includes(n))).toEqual([]);
      expect(new Set(names).size).toBe(names.length);
    });

    it('probes over HTTP on the container port (unset or its name)', () => {
      const port = userContainer(service).ports[0];
      for (const probe of [userContainer(service).readinessProbe, userContainer(service).livenessProbe].filter(Boolean)) {
        expect(probe.httpGet).toBeDefined();
        expect([undefined, port.name]).toContain(probe.httpGet.port);
      }
    });

    it('uses only the securityContext fields Knative allows, and a hardened one', () => {
      const context = userContainer(service).securityContext;
      expect(Object.keys(context).filter((key) => !ALLOWED_SECURITY_CONTEXT.includes(key))).toEqual([]);
      // The dead-letter sink runs the stock node image, whose default user is root: it names the image's `node` user.
      expect(context).toEqual({
        ...(name === 'falco-response-dead-letters' ? { runAsUser: 1000 } : {}),
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it('stays within the default revision timeout and concurrency limits', () => {
      const spec = service.spec.template.spec;
      if (spec.timeoutSeconds !== undefined) expect(spec.timeoutSeconds).toBeLessThanOrEqual(MAX_REVISION_TIMEOUT_SECONDS);
      if (spec.containerConcurrency !== undefined) {
        expect(spec.containerConcurrency).toBeGreaterThanOrEqual(0);
        expect(spec.containerConcurrency).toBeLessThanOrEqual(MAX_CONTAINER_CONCURRENCY);
      }
    });
  },
);

describe.each(functionNames)('the Knative Service of %s against the function', (fn) => {
  const service = knativeServiceOf(fn);
  const container = userContainer(service);
  const env = envOf(container);
  const spec = FUNCTION_SPECS.find((s) => s.name === fn)!;

  it('keeps one instance warm (min-scale 1) and bounds the scale-out', () => {
    const annotations = service.spec.template.metadata.annotations;
    expect(annotations['autoscaling.knative.dev/min-scale']).toBe('1');
    expect(Number(annotations['autoscaling.knative.dev/max-scale'])).toBeGreaterThanOrEqual(1);
    const text = readFileSync(join(repoRoot, `knative/20-${fn}.yaml`), 'utf8');
    expect(text).toMatch(/cold start/); // the reason is written next to the setting
  });

  it('probes paths the runtime serves: readiness on /readyz, liveness on /healthz', async () => {
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const { app } = buildFunction(spec, readFunctionConfig({ KUBECONFIG: '/nonexistent', LOCK_FILE: '', LOG_LEVEL: 'silent' }));
    try {
      for (const path of [container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path]) {
        expect((await app.inject({ method: 'GET', url: path })).statusCode, path).toBe(200);
      }
    } finally {
      await app.close();
    }
  });

  it('listens where the runtime listens: 8080, the default of $PORT that Knative sets', () => {
    expect(container.ports[0].containerPort).toBe(readFunctionConfig({ KUBECONFIG: '/nonexistent' }).runtime.port);
  });

  it('sets only variables the function reads, with values it accepts, the token from the shared Secret', () => {
    const known = configVariablesRead();
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    expect(env.AUTH_TOKEN).toBe(`valueFrom:${AUTH_TOKEN_SECRET}/token`);
    expect(env.LOCK_FILE).toBe(''); // read-only root filesystem: nothing to write
    const config = configFromManifestEnv(env);
    expect(config.runtime.lockFile).toBeUndefined();
    expect(config.runtime.authToken).toBeDefined();
  });

  it('gives an alert enough time, and the pod enough grace to drain on SIGTERM', () => {
    const config = configFromManifestEnv(env);
    const timeoutMs = service.spec.template.spec.timeoutSeconds * 1000;
    // Worst case of one Kubernetes call: every attempt times out, with the longest backoff between them.
    const worstKubeCallMs = config.kube.timeoutMs * config.kube.retries + 2000 * (config.kube.retries - 1);
    expect(worstKubeCallMs).toBeLessThan(timeoutMs);
    expect(config.runtime.shutdownTimeoutMs).toBeLessThan(timeoutMs);
  });

  it('never sends more alerts at once than the runtime accepts (no 429 from the function)', () => {
    const config = configFromManifestEnv(env);
    const concurrency = service.spec.template.spec.containerConcurrency;
    expect(concurrency).toBeGreaterThan(0);
    expect(concurrency).toBeLessThanOrEqual(config.runtime.maxInFlight);
  });

  it('uses the same image and guard rails as the function in stack.yml', () => {
    const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
    const openfaas = stack.functions[fn];
    expect(container.image).toBe(openfaas.image);
    for (const name of ['RULES', 'MIN_PRIORITY', 'DRY_RUN', 'LOG_LEVEL']) expect(env[name], name).toBe(openfaas.environment[name]);
  });
});
