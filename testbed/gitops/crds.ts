// The GitOps CRDs from their projects' own modules: Flux's (source-controller and
// kustomize-controller config/crd/bases) and Argo CD's Application (no Argo CD controller runs).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { apiRequest } from '../packaging/api-server.ts';
import { parseYamlDocuments, type Manifest } from '../packaging/manifests.ts';
import { fluxArtifacts } from './flux-binaries.ts';

async function applyCrd(cluster: ClusterCoords, crd: Manifest): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  const answer = await apiRequest(cluster, 'PATCH', `${path}?fieldManager=testbed-gitops&force=true`, crd, 'application/apply-patch+yaml');
  if (answer.status >= 300) throw new Error(`apply CRD ${crd.metadata.name}: ${answer.status} ${answer.body.message}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const current = await apiRequest(cluster, 'GET', path);
    if ((current.body.status?.conditions ?? []).some((c: Manifest) => c.type === 'Established' && c.status === 'True')) {
      const version = crd.spec.versions.find((v: Manifest) => v.storage).name;
      if ((await apiRequest(cluster, 'GET', `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}`)).status === 200) return;
    }
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established`);
    await sleep(200);
  }
}

/** Installs Flux's CRDs and Argo CD's Application CRD (idempotent: server-side apply). */
export async function installGitOpsCrds(cluster: ClusterCoords): Promise<void> {
  const { fluxCrds, argoApplicationCrd } = fluxArtifacts({ crdsOnly: true });
  const crds = [...fluxCrds, argoApplicationCrd].flatMap((file) =>
    parseYamlDocuments(readFileSync(file, 'utf8'), file).filter((doc) => doc.kind === 'CustomResourceDefinition'),
  );
  for (const crd of crds) await applyCrd(cluster, crd);
}
