// The pod templates we ship pass Pod Security "restricted": each Knative Service's revision
// template (the chart's and knative/*.yaml's) is sent as a Pod, server-side dry-run, into a
// namespace labelled pod-security.kubernetes.io/enforce=restricted, where the API server's
// PodSecurity admission refuses any pod that breaks the profile. So is the evidence retention
// CronJob's job pod (operations/evidence-retention.yaml).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { apiRequest, dryRunCreate } from '../../../testbed/packaging/api-server.ts';
import { PLATFORMS, renderChart } from '../../../testbed/packaging/chart.ts';
import { knativeServices, readYamlDocuments, type Manifest } from '../../../testbed/packaging/manifests.ts';

const cluster = useCluster();
const NAMESPACE = 'pod-security-restricted';

// Fields of a Knative revision spec that are not a PodSpec's (Knative's own settings).
const KNATIVE_ONLY = ['containerConcurrency', 'timeoutSeconds', 'responseStartTimeoutSeconds', 'idleTimeoutSeconds'];

/** The Pod Knative would make from a Service: its template, with the probe port Knative fills in. */
function podOf(service: Manifest): Manifest {
  const spec = structuredClone(service.spec.template.spec);
  for (const field of KNATIVE_ONLY) delete spec[field];
  for (const container of spec.containers) {
    const port = container.ports?.[0]?.containerPort ?? 8080;
    for (const probe of ['readinessProbe', 'livenessProbe'])
      if (container[probe]?.httpGet && !container[probe].httpGet.port) container[probe].httpGet.port = port;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${service.metadata.name}-pod`, namespace: NAMESPACE, labels: service.spec.template.metadata?.labels },
    spec,
  };
}

/** The Pod the retention CronJob's Jobs make. */
function retentionPod(): Manifest {
  const cronJob = readYamlDocuments('operations/evidence-retention.yaml').find((doc) => doc.kind === 'CronJob')!;
  const template = cronJob.spec.jobTemplate.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'evidence-prune-pod', namespace: NAMESPACE, labels: template.metadata?.labels },
    spec: structuredClone(template.spec),
  };
}

const services = [
  ...renderChart('knative')
    .filter((doc) => doc.kind === 'Service')
    .map((service) => [`chart (${PLATFORMS.knative.values}): ${service.metadata.name}`, service] as const),
  ...knativeServices().map(({ file, service }) => [`${file}: ${service.metadata.name}`, service] as const),
];

beforeAll(async () => {
  const namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: NAMESPACE,
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
    },
  };
  const created = await apiRequest(cluster, 'POST', '/api/v1/namespaces', namespace);
  expect([201, 409]).toContain(created.status);
  // The ServiceAccount admission plugin refuses a pod whose ServiceAccount does not exist.
  for (const name of new Set([
    ...services.map(([, service]) => service.spec.template.spec.serviceAccountName ?? 'default'),
    retentionPod().spec.serviceAccountName,
  ])) {
    const account = await apiRequest(cluster, 'POST', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name },
    });
    expect([201, 409]).toContain(account.status);
  }
});

describe('Pod Security "restricted", enforced by the API server', () => {
  it("covers the chart's three functions and every Knative Service in knative/", () => {
    expect(services.length).toBe(3 + knativeServices().length);
  });

  it.each(services)('%s is admitted', async (_name, service) => {
    const answer = await dryRunCreate(cluster, podOf(service));
    expect(answer.status, answer.body.message).toBe(201);
  });

  it("operations/evidence-retention.yaml: the CronJob's job pod is admitted", async () => {
    const answer = await dryRunCreate(cluster, retentionPod());
    expect(answer.status, answer.body.message).toBe(201);
  });

  it('the same namespace refuses a pod that may escalate privileges, naming the violation', async () => {
    const pod = podOf(services[0]![1]);
    pod.metadata.name = 'escalating';
    pod.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const answer = await dryRunCreate(cluster, pod);
    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
  });
});
