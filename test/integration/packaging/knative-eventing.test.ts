// The Knative Eventing objects we ship (knative/eventing/*.yaml and the chart's Broker and
// Triggers) validated by Eventing's own CRDs (knative.dev/eventing's broker.yaml and
// trigger.yaml, full openAPIV3Schema) installed in the test API server: created with
// dryRun=All and fieldValidation=Strict, so an unknown or misspelt field is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { dryRunCreate, ensureNamespace } from '../../../testbed/packaging/api-server.ts';
import { renderChart } from '../../../testbed/packaging/chart.ts';
import { installCrds } from '../../../testbed/packaging/crds.ts';
import { readYamlDocuments, yamlFilesIn, type Manifest } from '../../../testbed/packaging/manifests.ts';
import { toolVersion } from '../../../testbed/packaging/tools.ts';

const cluster = useCluster();
const EVENTING = new Set(['Broker', 'Trigger']);

const shipped = yamlFilesIn('knative/eventing').flatMap((file) =>
  readYamlDocuments(file)
    .filter((doc) => EVENTING.has(doc.kind))
    .map((doc) => [`${file}: ${doc.kind} ${doc.metadata.name}`, doc] as const),
);
const chart = renderChart('knative')
  .filter((doc) => EVENTING.has(doc.kind))
  .map((doc) => [`chart: ${doc.kind} ${doc.metadata.name}`, doc] as const);

beforeAll(async () => {
  const crds = await installCrds(cluster);
  expect(crds.map((crd) => crd.metadata.name)).toEqual(
    expect.arrayContaining(['brokers.eventing.knative.dev', 'triggers.eventing.knative.dev']),
  );
  await ensureNamespace(cluster, 'falco-response');
}, 120_000);

describe(`Knative Eventing objects against knative.dev/eventing ${toolVersion('KNATIVE_EVENTING_VERSION')}'s CRDs`, () => {
  it('covers the Broker and the three Triggers of knative/eventing/ and of the chart', () => {
    expect(shipped.map(([, doc]) => doc.kind).sort()).toEqual(['Broker', 'Trigger', 'Trigger', 'Trigger']);
    expect(chart.map(([, doc]) => doc.kind).sort()).toEqual(['Broker', 'Trigger', 'Trigger', 'Trigger']);
  });

  it.each([...shipped, ...chart])('%s passes dryRun=All, fieldValidation=Strict', async (_name, doc) => {
    const answer = await dryRunCreate(cluster, doc);
    expect(answer.status, `${answer.as}: ${answer.body.message}`).toBeLessThan(300);
    expect(answer.body.spec).toEqual(expect.objectContaining(doc.spec));
  });

  const trigger = () => structuredClone(shipped.find(([, doc]) => doc.kind === 'Trigger')![1]) as Manifest;

  it('refuses a Trigger with a misspelt field, naming it (the schema really is strict)', async () => {
    const broken = trigger();
    broken.metadata.name = 'misspelt';
    broken.spec.subscriber.uir = 'http://delete-pod.falco-response.svc';
    const answer = await dryRunCreate(cluster, broken);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('unknown field "spec.subscriber.uir"');
  });

  it('refuses a wrong type where the schema has one (delivery.retry as text)', async () => {
    const broken = trigger();
    broken.metadata.name = 'wrong-type';
    broken.spec.delivery.retry = 'eight';
    const answer = await dryRunCreate(cluster, broken);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain('spec.delivery.retry');
  });
});
