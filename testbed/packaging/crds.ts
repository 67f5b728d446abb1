// Installs into the test API server every CustomResourceDefinition the shipped objects use,
// from their projects' own files: Knative Serving's Service CRD (committed fixture), Knative
// Eventing's Broker and Trigger and prometheus-operator's ServiceMonitor, PodMonitor and
// PrometheusRule (from their Go modules, scripts/fetch-crds.sh).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { apiRequest, apply } from './api-server.ts';
import { parseYamlDocuments, repoRoot, type Manifest } from './manifests.ts';

const SERVING_CRD = 'test/fixtures/knative/serving-crd-service.yaml';

/** The CRDs by file name (broker.yaml, monitoring.coreos.com_podmonitors.yaml, ...). */
export function crdFiles(): Map<string, string> {
  const out = execFileSync(join(repoRoot, 'scripts/fetch-crds.sh'), { encoding: 'utf8' });
  const files = new Map(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(' ', 2) as [string, string]),
  );
  files.set('serving-crd-service.yaml', join(repoRoot, SERVING_CRD));
  return files;
}

export function crdDocuments(): Manifest[] {
  return [...crdFiles().entries()].flatMap(([name, path]) =>
    parseYamlDocuments(readFileSync(path, 'utf8'), name).filter((doc) => doc.kind === 'CustomResourceDefinition'),
  );
}

async function waitEstablished(cluster: ClusterCoords, crd: Manifest): Promise<void> {
  const deadline = Date.now() + 60_000;
  const version = crd.spec.versions.find((v: Manifest) => v.storage).name;
  const probe = `/apis/${crd.spec.group}/${version}/${crd.spec.scope === 'Namespaced' ? 'namespaces/default/' : ''}${crd.spec.names.plural}`;
  for (;;) {
    const current = await apiRequest(cluster, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    const established = (current.body.status?.conditions ?? []).some((c: Manifest) => c.type === 'Established' && c.status === 'True');
    // Established, and the new API answers (discovery can lag the condition briefly).
    if (established && (await apiRequest(cluster, 'GET', probe)).status === 200) return;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established: ${JSON.stringify(current.body.status)}`);
    await sleep(200);
  }
}

/** Applies each CRD (server-side apply, strict) and waits until its API serves. */
export async function installCrds(cluster: ClusterCoords): Promise<Manifest[]> {
  const crds = crdDocuments();
  for (const crd of crds) await apply(cluster, crd);
  for (const crd of crds) await waitEstablished(cluster, crd);
  return crds;
}
