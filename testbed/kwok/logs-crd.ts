// kwok's Logs and ClusterLogs CRDs (kwok.x-k8s.io/v1alpha1, copied from sigs.k8s.io/kwok v0.8.0
// kustomize/crd/bases): installed before kwok starts, so that kwok (--enable-crds=Logs,ClusterLogs)
// watches the Logs objects tests create and its server answers the kubelet's /containerLogs from
// them. One ClusterLogs gives every other container an empty log, as a kubelet has for a
// container that wrote nothing (kwok answers "no logs found" otherwise; a pod's Logs object wins).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/binaries.ts';
import { eventually } from '../cluster/probes.ts';

const CRD_FILES = ['kwok.x-k8s.io_logs.yaml', 'kwok.x-k8s.io_clusterlogs.yaml'].map((file) =>
  join(repoRoot, 'testbed', 'kwok', 'crds', file),
);

export async function installKwokLogsCrd(admin: KubeConfig): Promise<void> {
  for (const file of CRD_FILES) await installCrd(admin, file);
}

/** Every container without a Logs object of its pod: an empty log, current and previous. */
export async function createEmptyClusterLogs(admin: KubeConfig, dataDir: string): Promise<void> {
  const dir = join(dataDir, 'container-logs');
  mkdirSync(dir, { recursive: true });
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  await admin.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: 'kwok.x-k8s.io',
    version: 'v1alpha1',
    plural: 'clusterlogs',
    body: {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: 'every-container' },
      spec: { selector: {}, logs: [{ logsFile: empty, previousLogsFile: empty }] },
    },
  });
}

async function installCrd(admin: KubeConfig, file: string): Promise<void> {
  const body = parse(readFileSync(file, 'utf8')) as V1CustomResourceDefinition;
  const api = admin.makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({ body });
  await eventually(
    `the kwok ${body.spec.names.kind} CRD to be established`,
    async () => {
      const crd = await api.readCustomResourceDefinition({ name: body.metadata!.name! });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    30_000,
  );
}
