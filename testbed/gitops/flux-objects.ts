// Flux objects as a user writes them: a Secret with the Git credentials, a GitRepository
// following a branch, a Kustomization applying a path of it. Read and waited on as `flux get` would.
import { readFileSync } from 'node:fs';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { eventually } from '../cluster/probes.ts';
import { apiRequest } from '../packaging/api-server.ts';
import type { Manifest } from '../packaging/manifests.ts';
import type { FluxControllers } from './flux-controllers.ts';

export const SOURCE_API = '/apis/source.toolkit.fluxcd.io/v1';
export const KUSTOMIZE_API = '/apis/kustomize.toolkit.fluxcd.io/v1';

async function create(cluster: ClusterCoords, path: string, body: Manifest): Promise<void> {
  const answer = await apiRequest(cluster, 'POST', `${path}?fieldValidation=Strict`, body);
  if (answer.status >= 300) throw new Error(`create ${body.kind} ${body.metadata.name}: ${answer.status} ${answer.body.message}`);
}

export async function getObject(cluster: ClusterCoords, path: string): Promise<Manifest> {
  const answer = await apiRequest(cluster, 'GET', path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.body.message}`);
  return answer.body;
}

export async function mergePatch(cluster: ClusterCoords, path: string, patch: Manifest): Promise<Manifest> {
  const answer = await apiRequest(cluster, 'PATCH', path, patch, 'application/merge-patch+json');
  if (answer.status >= 300) throw new Error(`PATCH ${path}: ${answer.status} ${answer.body.message}`);
  return answer.body;
}

export const gitRepositoryPath = (flux: FluxControllers, name: string) =>
  `${SOURCE_API}/namespaces/${flux.namespace}/gitrepositories/${name}`;
export const kustomizationPath = (flux: FluxControllers, name: string) =>
  `${KUSTOMIZE_API}/namespaces/${flux.namespace}/kustomizations/${name}`;

export interface FluxSourceOptions {
  name: string;
  url: string;
  credentials: { username: string; password: string };
  /** The Kustomization's spec.path. */
  path: string;
  targetNamespace: string;
  /** Reconcile interval of both (Flux's syntax, e.g. "5s"). */
  interval: string;
}

/** Secret + GitRepository (branch main) + Kustomization, all named `name`, in the controllers' namespace. */
export async function createFluxSource(cluster: ClusterCoords, flux: FluxControllers, options: FluxSourceOptions): Promise<void> {
  const ns = flux.namespace;
  await create(cluster, `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: options.name, namespace: ns },
    stringData: options.credentials,
  });
  await create(cluster, `${SOURCE_API}/namespaces/${ns}/gitrepositories`, {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: options.name, namespace: ns },
    spec: { url: options.url, ref: { branch: 'main' }, interval: options.interval, secretRef: { name: options.name }, timeout: '20s' },
  });
  await create(cluster, `${KUSTOMIZE_API}/namespaces/${ns}/kustomizations`, {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: options.name, namespace: ns },
    spec: {
      interval: options.interval,
      path: options.path,
      prune: true,
      targetNamespace: options.targetNamespace,
      sourceRef: { kind: 'GitRepository', name: options.name },
      timeout: '30s',
    },
  });
}

/** The Kustomization is Ready having applied `sha` (a commit of the served branch). */
export async function waitForAppliedRevision(
  cluster: ClusterCoords,
  flux: FluxControllers,
  name: string,
  sha: string,
  timeoutMs = 90_000,
): Promise<Manifest> {
  return eventually(
    `Kustomization ${name} to apply ${sha.slice(0, 12)}`,
    async () => {
      const ks = await getObject(cluster, kustomizationPath(flux, name));
      const ready = (ks.status?.conditions ?? []).find((c: Manifest) => c.type === 'Ready');
      return ready?.status === 'True' && String(ks.status?.lastAppliedRevision ?? '').endsWith(sha) ? ks : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Reconciliations kustomize-controller finished for Kustomization `name` so far, from its log. */
export function reconciliationsOf(flux: FluxControllers, name: string): number {
  const log = readFileSync(flux.kustomizeController.logPath, 'utf8');
  return log.split('\n').filter((line) => line.includes('Reconciliation finished') && line.includes(`"name":"${name}"`)).length;
}
