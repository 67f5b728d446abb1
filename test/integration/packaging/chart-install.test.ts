// The chart installed by the real helm v3.22.0 into the test API server, with every CRD its
// objects use installed from their projects' own files: each rendered object first passes a
// server-side dry-run with fieldValidation=Strict, then `helm install`, `helm upgrade` and
// `helm uninstall` run for real, and uninstall leaves nothing behind. The evidence namespace is
// made here beforehand (evidence.createNamespace=false), as other tests of the run use it and Helm
// adopts no object it did not create; the chart's own Namespace (kept on uninstall) is checked
// by test/unit/packaging/chart.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../../../testbed/vitest/context.ts';
import { apiRequest, dryRunCreate, ensureNamespace, pathsOf } from '../../../testbed/packaging/api-server.ts';
import { CHART, PLATFORMS, renderChart, type Platform } from '../../../testbed/packaging/chart.ts';
import { installCrds } from '../../../testbed/packaging/crds.ts';
import { envOf, type Manifest } from '../../../testbed/packaging/manifests.ts';
import { helmPath, run, type ToolRun } from '../../../testbed/packaging/tools.ts';

const cluster = useCluster();
const helmHome = mkdtempSync(join(tmpdir(), 'frf-helm-'));
afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

// Helm's own state (cache, config, plugins) stays in a throwaway directory.
function helm(args: string[]): ToolRun {
  return run(helmPath(), args, {
    env: {
      KUBECONFIG: cluster.kubeconfigPath,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
}

const helmOk = (result: ToolRun, what: string) => {
  expect(result.status, `${what}: ${result.stderr}`).toBe(0);
  // The API server warns about unknown or duplicate fields (helm does not ask for strict
  // validation): none may appear.
  expect(result.stderr, what).not.toMatch(/unknown field|duplicate field|W\d{4}/);
};

const exists = async (manifest: Manifest) => (await apiRequest(cluster, 'GET', pathsOf(manifest).item)).status === 200;

/** Other test files apply the raw RBAC manifests for real; Helm adopts nothing it did not create, so those go first. */
async function removeLeftovers(objects: Manifest[]) {
  for (const object of objects) await apiRequest(cluster, 'DELETE', pathsOf(object).item);
}

const EVIDENCE_NAMESPACE = 'falco-response-evidence';
const EXISTING_EVIDENCE_NAMESPACE = ['--set', 'evidence.createNamespace=false'];

beforeAll(async () => {
  await installCrds(cluster);
  await ensureNamespace(cluster, EVIDENCE_NAMESPACE);
}, 120_000);

const UPGRADES: Record<Platform, string[]> = {
  knative: ['--set', 'functions.delete-pod.enabled=false', '--set', 'functions.isolate-pod.env.MIN_PRIORITY=warning'],
  // CE's one ClusterRole is the union whichever functions are on.
  'openfaas-ce': ['--set', 'observability.prometheusRule.enabled=false'],
  'openfaas-pro': ['--set', 'functions.delete-pod.enabled=false'],
};

describe.each(Object.keys(PLATFORMS) as Platform[])('helm install / upgrade / uninstall: %s', (platform) => {
  const { namespace, values } = PLATFORMS[platform];
  const release = `frf-${platform}`;
  const objects = renderChart(platform, EXISTING_EVIDENCE_NAMESPACE);

  beforeAll(async () => {
    await ensureNamespace(cluster, namespace);
    await removeLeftovers(objects);
  });

  it.each(objects.map((doc) => [`${doc.kind} ${doc.metadata.name}`, doc] as const))(
    '%s passes a server-side dry-run, fieldValidation=Strict',
    async (_name, doc) => {
      const answer = await dryRunCreate(cluster, doc);
      expect(answer.status, `${answer.as}: ${answer.body.message}`).toBeLessThan(300);
    },
  );

  it('installs, upgrades and uninstalls, leaving nothing behind', async () => {
    const installed = helm([
      'install',
      release,
      CHART,
      '--namespace',
      namespace,
      '-f',
      join(CHART, values),
      ...EXISTING_EVIDENCE_NAMESPACE,
    ]);
    helmOk(installed, 'helm install');
    // NOTES.txt: how to check the install with Falcosidekick's test alert, and where its decision shows.
    expect(installed.stdout).toContain('curl -sS -X POST http://127.0.0.1:2801/test');
    expect(installed.stdout).toContain(`kubectl -n ${namespace} logs -l app.kubernetes.io/part-of=falco-response-functions`);
    expect(installed.stdout).toContain(
      platform === 'knative' ? 'config.cloudevents.address: http://broker-ingress' : 'faas-cli deploy -f stack.yml',
    );
    for (const object of objects) expect(await exists(object), `${object.kind} ${object.metadata.name} after install`).toBe(true);

    // Upgrade: something switched off, a setting changed.
    const upgraded = renderChart(platform, [...EXISTING_EVIDENCE_NAMESPACE, ...UPGRADES[platform]]);
    helmOk(
      helm([
        'upgrade',
        release,
        CHART,
        '--namespace',
        namespace,
        '-f',
        join(CHART, values),
        ...EXISTING_EVIDENCE_NAMESPACE,
        ...UPGRADES[platform],
      ]),
      'helm upgrade',
    );
    const removed = objects.filter((o) => !upgraded.some((u) => u.kind === o.kind && u.metadata.name === o.metadata.name));
    expect(removed.length).toBeGreaterThan(0);
    for (const object of removed) expect(await exists(object), `${object.kind} ${object.metadata.name} after upgrade`).toBe(false);
    for (const object of upgraded) expect(await exists(object), `${object.kind} ${object.metadata.name} after upgrade`).toBe(true);
    if (platform === 'knative') {
      const service = (
        await apiRequest(cluster, 'GET', pathsOf(upgraded.find((o) => o.kind === 'Service' && o.metadata.name === 'isolate-pod')!).item)
      ).body;
      expect(envOf(service.spec.template.spec.containers[0]).MIN_PRIORITY).toBe('warning');
    }
    expect(helm(['history', release, '--namespace', namespace, '-o', 'json']).stdout).toContain('"revision":2');

    helmOk(helm(['uninstall', release, '--namespace', namespace]), 'helm uninstall');
    for (const object of [...objects, ...upgraded])
      expect(await exists(object), `${object.kind} ${object.metadata.name} after uninstall`).toBe(false);
    // Nor Helm's own release records.
    const secrets = await apiRequest(
      cluster,
      'GET',
      `/api/v1/namespaces/${namespace}/secrets?labelSelector=owner%3Dhelm,name%3D${release}`,
    );
    expect(secrets.body.items).toEqual([]);
  }, 120_000);
});
