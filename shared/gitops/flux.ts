// What the GitOps modes do to Flux's objects, through the API as `flux suspend|resume|reconcile` do.
import type { CustomObjectRef, KubeClient, KubeObject } from '../k8s/kube-client.ts';

export const KUSTOMIZATIONS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' } as const;
export const HELMRELEASES = { group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' } as const;
export const GITREPOSITORIES = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' } as const;
/** The annotation `flux reconcile` sets: any new value makes the controller reconcile at once. */
export const RECONCILE_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export function fluxRef(kind: 'Kustomization' | 'HelmRelease' | 'GitRepository', namespace: string, name: string): CustomObjectRef {
  const type = kind === 'Kustomization' ? KUSTOMIZATIONS : kind === 'HelmRelease' ? HELMRELEASES : GITREPOSITORIES;
  return { ...type, namespace, name };
}

/** `flux suspend` / `flux resume`: spec.suspend. */
export async function setFluxSuspended(kube: KubeClient, ref: CustomObjectRef, suspended: boolean): Promise<KubeObject> {
  return kube.patchCustomObject(ref, { spec: { suspend: suspended } });
}

/** `flux reconcile`: a fresh requestedAt value. */
export async function requestReconcile(kube: KubeClient, ref: CustomObjectRef, at = new Date()): Promise<string> {
  const value = at.toISOString();
  await kube.patchCustomObject(ref, { metadata: { annotations: { [RECONCILE_REQUESTED_AT]: value } } });
  return value;
}

/** Where a Kustomization's manifests come from in Git: its GitRepository's URL and branch, and its path. */
export interface FluxGitSource {
  kustomization: CustomObjectRef;
  gitRepository: CustomObjectRef;
  url: string;
  branch: string;
  path: string;
}

export class GitSourceProblem extends Error {}

/** Reads the Kustomization and its GitRepository; a source commit mode cannot write to is a GitSourceProblem. */
export async function fluxGitSource(kube: KubeClient, namespace: string, name: string): Promise<FluxGitSource> {
  const kustomization = fluxRef('Kustomization', namespace, name);
  const ks = await kube.getCustomObject(kustomization);
  if (!ks) throw new GitSourceProblem(`Kustomization ${namespace}/${name} does not exist`);
  const source = ks.spec?.sourceRef as { kind?: string; name?: string; namespace?: string } | undefined;
  if (source?.kind !== 'GitRepository' || !source.name)
    throw new GitSourceProblem(
      `Kustomization ${namespace}/${name} takes its manifests from a ${source?.kind ?? 'missing source'}, not a GitRepository: nothing to commit to`,
    );
  const gitRepository = fluxRef('GitRepository', source.namespace ?? namespace, source.name);
  const repo = await kube.getCustomObject(gitRepository);
  if (!repo)
    throw new GitSourceProblem(
      `GitRepository ${gitRepository.namespace}/${gitRepository.name} (source of Kustomization ${namespace}/${name}) does not exist`,
    );
  const url = String(repo.spec?.url ?? '');
  const ref = (repo.spec?.ref ?? {}) as { branch?: string; tag?: string; semver?: string; commit?: string; name?: string };
  if (ref.tag || ref.semver || ref.commit || (ref.name && !ref.name.startsWith('refs/heads/'))) {
    throw new GitSourceProblem(
      `GitRepository ${gitRepository.namespace}/${gitRepository.name} follows ${ref.tag ? `tag ${ref.tag}` : ref.semver ? `semver ${ref.semver}` : ref.commit ? `commit ${ref.commit}` : `ref ${ref.name}`}, not a branch: a commit would not be deployed`,
    );
  }
  if (!/^https?:\/\//.test(url))
    throw new GitSourceProblem(
      `GitRepository ${gitRepository.namespace}/${gitRepository.name} is at ${url}: only http(s) repositories can be committed to (the Git client is pure JavaScript, without SSH)`,
    );
  // Flux's default branch when spec.ref is unset is master.
  const branch = ref.name?.replace(/^refs\/heads\//, '') ?? ref.branch ?? 'master';
  return { kustomization, gitRepository, url, branch, path: String(ks.spec?.path ?? './') };
}

/** The revision the GitRepository serves (`<branch>@sha1:<sha>`), once it has fetched one. */
export async function servedRevision(kube: KubeClient, ref: CustomObjectRef): Promise<string | undefined> {
  const repo = await kube.getCustomObject(ref);
  const artifact = (repo?.status as { artifact?: { revision?: string } } | undefined)?.artifact;
  return artifact?.revision;
}
