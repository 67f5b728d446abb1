// The Helm chart checked by the real helm v3.22.0: lint, rendering per platform, and the
// values schema refusing bad values with a message that names the value.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CHART, helmTemplate, PLATFORMS, renderChart, type Platform } from '../../../testbed/packaging/chart.ts';
import { envOf } from '../../../testbed/packaging/manifests.ts';
import { helmPath, run } from '../../../testbed/packaging/tools.ts';

const platforms = Object.keys(PLATFORMS) as Platform[];
const kinds = (platform: Platform, extra: string[] = []) =>
  renderChart(platform, extra)
    .map((doc) => `${doc.kind}/${doc.metadata.name}`)
    .sort();
/** Whatever the platform: the evidence namespace, the operator's roles, the retention CronJob and its identity. */
const EVIDENCE_OBJECTS = [
  'Namespace/falco-response-evidence',
  'ClusterRole/falco-response-operator',
  'Role/falco-response-operator',
  ...['CronJob', 'ServiceAccount', 'Role', 'RoleBinding'].map((kind) => `${kind}/falco-response-evidence-prune`),
];
/** Each function's Role and binding in the evidence namespace (create Secrets). */
const evidenceRoles = (prefix: string, fns: string[]) => fns.flatMap((fn) => [`Role/${prefix}${fn}`, `RoleBinding/${prefix}${fn}`]);

describe('helm lint --strict', () => {
  it.each(platforms)('passes for %s', (platform) => {
    const result = run(helmPath(), [
      'lint',
      '--strict',
      CHART,
      '--namespace',
      PLATFORMS[platform].namespace,
      '-f',
      join(CHART, PLATFORMS[platform].values),
    ]);
    expect(result.stdout + result.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|INFO)\]/);
    expect(result.status).toBe(0);
  });

  it("reports the missing images of the chart's own defaults (nothing is published, so there is no default image)", () => {
    const result = run(helmPath(), ['lint', '--strict', CHART]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain("at '/functions/delete-pod/image/repository': minLength: got 0, want 1");
  });
});

describe('helm template per platform', () => {
  it('knative: three Services, their ServiceAccounts and roles, the token Secret, a Broker and three Triggers, the NetworkPolicy, the observability pack', () => {
    expect(kinds('knative')).toEqual(
      [
        'Broker/falco-alerts',
        ...['delete-pod', 'isolate-pod', 'scale-to-zero'].flatMap((fn) => [
          `ClusterRole/falco-response-knative-${fn}`,
          `ClusterRoleBinding/falco-response-knative-${fn}`,
          `Role/falco-response-knative-${fn}`,
          `RoleBinding/falco-response-knative-${fn}`,
          `Lease/falco-response-budget-${fn}`,
        ]),
        'Lease/falco-response-budget',
        'ConfigMap/falco-response-functions-dashboard',
        'NetworkPolicy/falco-response-ingress',
        'PodMonitor/falco-response-functions',
        'PrometheusRule/falco-response-functions',
        'Secret/falco-response-token',
        'Service/delete-pod',
        'Service/isolate-pod',
        'Service/scale-to-zero',
        ...['delete-pod', 'isolate-pod', 'scale-to-zero'].map((fn) => `ServiceAccount/falco-response-${fn}`),
        'Trigger/delete-pod',
        'Trigger/isolate-pod',
        'Trigger/scale-to-zero',
        ...EVIDENCE_OBJECTS,
        ...evidenceRoles('falco-response-knative-', ['delete-pod', 'isolate-pod', 'scale-to-zero']),
      ].sort(),
    );
  });

  it('openfaas CE: only what faas-cli does not make: the union ClusterRole bound to openfaas-fn:default and the token Secret', () => {
    expect(kinds('openfaas-ce')).toEqual(
      [
        'ClusterRole/falco-response-openfaas-ce',
        'ClusterRoleBinding/falco-response-openfaas-ce',
        'Role/falco-response-openfaas-ce',
        'RoleBinding/falco-response-openfaas-ce',
        ...['', '-delete-pod', '-isolate-pod', '-scale-to-zero'].map((suffix) => `Lease/falco-response-budget${suffix}`),
        'NetworkPolicy/falco-response-ingress',
        'PrometheusRule/falco-response-functions',
        'Secret/falco-response-token',
        'ServiceMonitor/falco-response-functions',
        ...EVIDENCE_OBJECTS,
        ...evidenceRoles('', ['falco-response-openfaas-ce']),
      ].sort(),
    );
    const secret = renderChart('openfaas-ce').find((doc) => doc.kind === 'Secret')!;
    // The key is the file name OpenFaaS mounts: stack.yml's AUTH_TOKEN_FILE.
    expect(Object.keys(secret.stringData)).toEqual(['falco-response-token']);
  });

  it('openfaas Pro: a ServiceAccount and ClusterRole per enabled function, no Secret when auth.existingSecret names one', () => {
    expect(kinds('openfaas-pro')).toEqual(
      [
        'Lease/falco-response-budget',
        ...['delete-pod', 'isolate-pod'].flatMap((fn) => [
          `ClusterRole/falco-response-openfaas-${fn}`,
          `ClusterRoleBinding/falco-response-openfaas-${fn}`,
          `Role/falco-response-openfaas-${fn}`,
          `RoleBinding/falco-response-openfaas-${fn}`,
          `Lease/falco-response-budget-${fn}`,
          `ServiceAccount/falco-response-${fn}`,
        ]),
        ...EVIDENCE_OBJECTS,
        ...evidenceRoles('falco-response-openfaas-', ['delete-pod', 'isolate-pod']),
      ].sort(),
    );
  });

  it("evidence: pods/log only for a function whose EVIDENCE is logs (the default); the CronJob's schedule, age and image from the values", () => {
    const podLog = (docs: ReturnType<typeof renderChart>, name: string) =>
      docs
        .find((doc) => doc.kind === 'ClusterRole' && doc.metadata.name === name)!
        .rules.some((rule: { resources: string[] }) => rule.resources.includes('pods/log'));
    const shipped = renderChart('knative');
    for (const fn of ['delete-pod', 'isolate-pod', 'scale-to-zero']) expect(podLog(shipped, `falco-response-knative-${fn}`)).toBe(true);
    const facts = renderChart('knative', ['--set', 'functions.delete-pod.env.EVIDENCE=facts']);
    expect(podLog(facts, 'falco-response-knative-delete-pod')).toBe(false);
    expect(podLog(facts, 'falco-response-knative-isolate-pod')).toBe(true);
    // OpenFaaS CE's one role reads logs while any function does.
    const ce = (values: string[]) => podLog(renderChart('openfaas-ce', values), 'falco-response-openfaas-ce');
    expect(ce(['--set', 'functions.delete-pod.env.EVIDENCE=off'])).toBe(true);
    expect(ce(['delete-pod', 'isolate-pod', 'scale-to-zero'].flatMap((fn) => ['--set', `functions.${fn}.env.EVIDENCE=facts`]))).toBe(false);

    const cronJob = renderChart('knative', [
      '--set',
      'evidence.retention.schedule=0 * * * *',
      '--set',
      'evidence.retention.olderThan=7d',
    ]).find((doc) => doc.kind === 'CronJob')!;
    expect(cronJob.metadata.namespace).toBe('falco-response-evidence');
    expect(cronJob.spec.schedule).toBe('0 * * * *');
    const [container] = cronJob.spec.jobTemplate.spec.template.spec.containers;
    expect(container.args).toEqual(['evidence', 'prune', '--older-than', '7d', '--evidence-namespace', 'falco-response-evidence']);
    expect(container.image).toBe('registry.example.com/sec/falco-response-cli:0.1.0');
    expect(kinds('knative', ['--set', 'evidence.retention.enabled=false']).filter((name) => name.includes('evidence-prune'))).toEqual([]);
    const namespace = renderChart('knative').find((doc) => doc.kind === 'Namespace')!;
    expect(namespace.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('passes per-function env to the container as the functions read it (lists joined, booleans and numbers as text) and wires the token', () => {
    const service = renderChart('knative').find((doc) => doc.kind === 'Service' && doc.metadata.name === 'scale-to-zero')!;
    const container = service.spec.template.spec.containers[0];
    expect(envOf(container)).toEqual({
      RULES: 'Drop and execute new binary in container',
      MIN_PRIORITY: 'critical',
      DRY_RUN: 'true',
      MAX_ACTIONS: '3',
      LOG_LEVEL: 'info',
      LOCK_FILE: '',
      AUTH_TOKEN: 'valueFrom:falco-response-token/token',
    });
    expect(service.spec.template.metadata.annotations).toEqual({
      'autoscaling.knative.dev/min-scale': '1',
      'autoscaling.knative.dev/max-scale': '2',
    });
    expect(
      renderChart('knative').find((doc) => doc.metadata.name === 'isolate-pod' && doc.kind === 'Service')!.spec.template.spec.containers[0]
        .image,
    ).toBe(`registry.example.com/sec/falco-isolate-pod:0.1.0@sha256:${'0'.repeat(64)}`);
  });

  it('keeps containerConcurrency 0 (Knative: unlimited) as 0', () => {
    const service = renderChart('knative', ['--set', 'functions.delete-pod.containerConcurrency=0']).find(
      (doc) => doc.kind === 'Service' && doc.metadata.name === 'delete-pod',
    )!;
    expect(service.spec.template.spec.containerConcurrency).toBe(0);
  });

  it('writes a list item with a comma as the JSON array the functions accept', () => {
    const service = renderChart('knative', [
      '--set-json',
      'functions.delete-pod.env.RULES=["Terminal shell in container","Rule, with a comma"]',
    ]).find((doc) => doc.kind === 'Service' && doc.metadata.name === 'delete-pod')!;
    expect(envOf(service.spec.template.spec.containers[0]).RULES).toBe('["Terminal shell in container","Rule, with a comma"]');
  });

  it("renders a disabled function's objects nowhere, its Trigger and RBAC included", () => {
    const names = kinds('knative', ['--set', 'functions.isolate-pod.enabled=false']);
    expect(names.filter((name) => name.includes('isolate-pod'))).toEqual([]);
    expect(names).toContain('Trigger/delete-pod');
  });
});

describe('values the schema or the chart refuses, with a message naming the value', () => {
  it.each([
    [
      'a mistyped priority',
      ['--set', 'functions.delete-pod.env.MIN_PRIORITY=critcal'],
      "at '/functions/delete-pod/env/MIN_PRIORITY': value must be one of",
    ],
    [
      'a negative limit',
      ['--set', 'functions.delete-pod.env.MAX_ACTIONS=-1'],
      "at '/functions/delete-pod/env/MAX_ACTIONS': minimum: got -1, want 0",
    ],
    [
      "a limit above the function's own bound",
      ['--set', 'functions.isolate-pod.env.KUBE_RETRIES=11'],
      "at '/functions/isolate-pod/env/KUBE_RETRIES': maximum: got 11, want 10",
    ],
    [
      'a missing image',
      ['--set', 'functions.scale-to-zero.image.repository='],
      "at '/functions/scale-to-zero/image/repository': minLength: got 0, want 1",
    ],
    [
      'a mistyped setting name',
      ['--set', 'functions.delete-pod.env.MAX_ACTION=3'],
      "at '/functions/delete-pod/env': additional properties 'MAX_ACTION' not allowed",
    ],
    [
      'a string where a boolean belongs',
      ['--set-string', 'functions.delete-pod.env.DRY_RUN=yes'],
      "at '/functions/delete-pod/env/DRY_RUN': got string, want boolean",
    ],
    ['an unknown platform', ['--set', 'platform=lambda'], "at '/platform': value must be one of 'knative', 'openfaas'"],
    [
      'a negative scale bound',
      ['--set', 'functions.delete-pod.scale.min=-1'],
      "at '/functions/delete-pod/scale/min': minimum: got -1, want 0",
    ],
    ['a short token', ['--set', 'auth.token=short'], "at '/auth/token'"],
    ['a malformed digest', ['--set', 'functions.delete-pod.image.digest=sha256:abc'], "at '/functions/delete-pod/image/digest'"],
    [
      "a retention without the command line's image",
      ['--set', 'evidence.retention.image.repository='],
      "at '/evidence/retention/image/repository': minLength: got 0, want 1",
    ],
    [
      'a retention age the command line does not read',
      ['--set', 'evidence.retention.olderThan=30 days'],
      "at '/evidence/retention/olderThan'",
    ],
    ['a schedule that is not five cron fields', ['--set', 'evidence.retention.schedule=daily'], "at '/evidence/retention/schedule'"],
    [
      'a bad alert-silence duration',
      ['--set', 'observability.prometheusRule.noAlertsFor=one day'],
      "at '/observability/prometheusRule/noAlertsFor'",
    ],
  ])('%s', (_label, flags, message) => {
    const result = helmTemplate('knative', flags);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it.each([
    [
      'an image with neither tag nor digest',
      'knative' as Platform,
      ['--set', 'functions.delete-pod.image.tag='],
      'functions.delete-pod.image: set tag or digest',
    ],
    ['auth on without a token or Secret', 'knative' as Platform, ['--set', 'auth.token='], 'auth.enabled: set auth.token'],
    [
      'a scale minimum above the maximum',
      'knative' as Platform,
      ['--set', 'functions.delete-pod.scale.min=3'],
      'functions.delete-pod.scale: min (3) is above max (2)',
    ],
    [
      'METRICS_AUTH=token without a token',
      'knative' as Platform,
      ['--set', 'auth.enabled=false', '--set', 'functions.isolate-pod.env.METRICS_AUTH=token'],
      'functions.isolate-pod.env.METRICS_AUTH=token needs the token',
    ],
    [
      'OpenFaaS CE outside openfaas-fn',
      'openfaas-ce' as Platform,
      ['--namespace', 'functions'],
      'openfaas.edition=ce: install into namespace openfaas-fn',
    ],
  ])('%s', (_label, platform, flags, message) => {
    const result = helmTemplate(platform, flags);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
