// Every manifest we ship, validated by the real validators: core and RBAC objects by the test
// kube-apiserver (server-side dry-run, strict field validation), the Knative Services by
// Knative's own Service CRD (knative.dev/serving, test/fixtures/knative/) installed into it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { apiRequest, apply, dryRunCreate, ensureNamespace } from '../../../testbed/packaging/api-server.ts';
import { knativeServices, parseYamlDocuments, readYamlDocuments, repoRoot, type Manifest } from '../../../testbed/packaging/manifests.ts';

const cluster = useCluster();

const CORE_AND_RBAC_FILES = [
  'knative/00-namespace.yaml',
  'knative/10-rbac.yaml',
  'knative/30-network-policy.yaml',
  'knative/eventing/05-dead-letters.yaml',
  'openfaas/rbac-pro.yaml',
  'openfaas/rbac-ce.yaml',
  'openfaas/network-policy.yaml',
  'examples/argo/function-rbac.yaml',
  'examples/argo/rbac.yaml',
  'examples/tekton/rbac.yaml',
  'operations/operator-rbac.yaml',
  'operations/evidence-retention.yaml',
];
const CRD_FILE = 'test/fixtures/knative/serving-crd-service.yaml';
const CRD_VERSION = readFileSync(join(repoRoot, 'test/fixtures/knative/VERSION'), 'utf8').trim();

// Knative Services are validated against Knative's CRD below.
const coreAndRbac = CORE_AND_RBAC_FILES.flatMap((file) =>
  readYamlDocuments(file)
    .filter((doc) => doc.apiVersion !== 'serving.knative.dev/v1')
    .map((doc) => [`${file}: ${doc.kind} ${doc.metadata.name}`, doc] as const),
);

beforeAll(async () => {
  // The namespaces the objects live in must exist (the NamespaceLifecycle admission plugin checks, even on dry-run).
  for (const namespace of ['falco-response', 'openfaas-fn', 'argo-events', 'falco-response-evidence'])
    await ensureNamespace(cluster, namespace);
});

describe('core and RBAC objects: server-side dry-run create, strict field validation', () => {
  it('covers every core and RBAC kind we ship', () => {
    expect(new Set(coreAndRbac.map(([, doc]) => doc.kind))).toEqual(
      new Set([
        'Namespace',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'ConfigMap',
        'NetworkPolicy',
        'Lease',
        'CronJob',
      ]),
    );
  });

  it.each(coreAndRbac)('%s', async (_name, manifest) => {
    const answer = await dryRunCreate(cluster, manifest);
    expect(answer.status, `${answer.as}: ${answer.body.message}`).toBeLessThan(300);
    expect(answer.body.metadata?.name).toBe(manifest.metadata.name);
  });

  it('the same validation rejects a NetworkPolicy peer with a misspelt field, naming it', async () => {
    const policy = structuredClone(readYamlDocuments('knative/30-network-policy.yaml')[0]!);
    policy.spec.ingress[0].from[0].namespaceSelecter = policy.spec.ingress[0].from[0].namespaceSelector;
    const answer = await dryRunCreate(cluster, policy);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('namespaceSelecter');
  });

  it('the same validation rejects an unknown field, naming it', async () => {
    const account = { ...readYamlDocuments('knative/10-rbac.yaml')[0]!, automountServiceAcountToken: false };
    const answer = await dryRunCreate(cluster, account);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('automountServiceAcountToken');
  });
});

describe(`Knative Services against Knative's Service CRD (knative.dev/serving ${CRD_VERSION})`, () => {
  const crd = parseYamlDocuments(readFileSync(join(repoRoot, CRD_FILE), 'utf8'), CRD_FILE)[0]!;

  beforeAll(async () => {
    await apply(cluster, crd);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const current = await apiRequest(cluster, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      const established = (current.body.status?.conditions ?? []).some((c: Manifest) => c.type === 'Established' && c.status === 'True');
      // Established, and the new API answers (discovery can lag the condition briefly).
      if (
        established &&
        (await apiRequest(cluster, 'GET', '/apis/serving.knative.dev/v1/namespaces/falco-response/services')).status === 200
      )
        break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established: ${JSON.stringify(current.body.status)}`);
      await sleep(200);
    }
  }, 90_000);

  it('uses the recorded CRD file (scripts/fetch-knative-crds.sh writes it with its checksum)', () => {
    const [expected] = readFileSync(join(repoRoot, `${CRD_FILE}.sha256`), 'utf8').split(/\s+/);
    expect(
      createHash('sha256')
        .update(readFileSync(join(repoRoot, CRD_FILE)))
        .digest('hex'),
    ).toBe(expected);
    expect(crd).toMatchObject({
      kind: 'CustomResourceDefinition',
      metadata: { name: 'services.serving.knative.dev' },
      spec: { group: 'serving.knative.dev' },
    });
  });

  it('covers the three functions and the dead-letter sink', () => {
    expect(
      knativeServices()
        .map(({ service }) => service.metadata.name)
        .sort(),
    ).toEqual(['delete-pod', 'falco-response-dead-letters', 'isolate-pod', 'scale-to-zero']);
  });

  it.each(knativeServices().map(({ file, service }) => [`${file}: ${service.metadata.name}`, service] as const))(
    '%s passes dryRun=All, fieldValidation=Strict',
    async (_name, service) => {
      const answer = await dryRunCreate(cluster, service);
      expect(answer.status, `${answer.as}: ${answer.body.message}`).toBeLessThan(300);
      expect(answer.body.kind).toBe('Service');
    },
  );

  it('rejects a Service with an unknown container field (400, naming it): the schema really is strict', async () => {
    const service = structuredClone(knativeServices()[0]!.service);
    service.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    const answer = await dryRunCreate(cluster, service);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('imagePullPolcy');
  });

  it('rejects a wrong type where the schema has one (containerConcurrency as a string)', async () => {
    const service = structuredClone(knativeServices()[0]!.service);
    service.spec.template.spec.containerConcurrency = 'ten';
    const answer = await dryRunCreate(cluster, service);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain('containerConcurrency');
  });
});
