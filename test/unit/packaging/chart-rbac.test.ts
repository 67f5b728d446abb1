// Every RBAC object the chart renders is one the generator (packaging/rbac-manifests.ts) puts
// in the raw manifests of the same path, field for field, and none is missing: the chart can
// never grant more (or less) than knative/10-rbac.yaml or openfaas/rbac-*.yaml. (That the
// committed templates are current is test/unit/packaging/rbac-manifests.test.ts's check of
// every generated file.) Beside them, whatever the platform, the chart renders the RBAC of
// operations/ (the operator's roles, the evidence retention CronJob's identity), from the same objects.
import { describe, expect, it } from 'vitest';
import { generatedOperationsManifests } from '../../../packaging/operations-manifests.ts';
import { generatedManifests } from '../../../packaging/rbac-manifests.ts';
import { RBAC_KINDS, renderChart, type Platform } from '../../../testbed/packaging/chart.ts';
import { parseYamlDocuments, type Manifest } from '../../../testbed/packaging/manifests.ts';

const MIRRORS: Record<Platform, keyof ReturnType<typeof generatedManifests>> = {
  knative: 'knative/10-rbac.yaml',
  'openfaas-ce': 'openfaas/rbac-ce.yaml',
  'openfaas-pro': 'openfaas/rbac-pro.yaml',
};

const byName = (docs: Manifest[]) =>
  Object.fromEntries(
    docs.filter((doc) => RBAC_KINDS.has(doc.kind)).map((doc) => [`${doc.kind}/${doc.metadata.namespace ?? ''}/${doc.metadata.name}`, doc]),
  );

describe("the chart's RBAC equals the generated manifests", () => {
  it.each(Object.entries(MIRRORS) as Array<[Platform, keyof ReturnType<typeof generatedManifests>]>)(
    '%s renders exactly the RBAC objects of %s',
    (platform, file) => {
      // All functions on, so every object the generator makes for the path must appear.
      const rendered = byName(
        renderChart(platform, [
          '--set',
          'functions.scale-to-zero.enabled=true',
          '--set',
          'functions.scale-to-zero.image.repository=r.example/s',
          '--set-string',
          'functions.scale-to-zero.image.tag=1',
        ]),
      );
      const operations = Object.entries(generatedOperationsManifests()).flatMap(([path, text]) => parseYamlDocuments(text, path));
      const generated = byName([...parseYamlDocuments(generatedManifests()[file], file), ...operations]);
      expect(Object.keys(generated).length).toBeGreaterThan(0);
      expect(rendered).toEqual(generated);
    },
  );
});
