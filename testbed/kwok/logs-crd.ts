// kwok's Logs CRD (kwok.x-k8s.io/v1alpha1, copied from sigs.k8s.io/kwok v0.8.0
// kustomize/crd/bases): installed before kwok starts, so that kwok (--enable-crds=Logs) watches
// the Logs objects tests create and its server answers the kubelet's /containerLogs from them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/binaries.ts';
import { eventually } from '../cluster/probes.ts';

const LOGS_CRD_FILE = join(repoRoot, 'testbed', 'kwok', 'crds', 'kwok.x-k8s.io_logs.yaml');

export async function installKwokLogsCrd(admin: KubeConfig): Promise<void> {
  const body = parse(readFileSync(LOGS_CRD_FILE, 'utf8')) as V1CustomResourceDefinition;
  const api = admin.makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({ body });
  await eventually(
    'the kwok Logs CRD to be established',
    async () => {
      const crd = await api.readCustomResourceDefinition({ name: body.metadata!.name! });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    30_000,
  );
}
