// Which GitOps object manages a workload, read from the labels and annotations Flux and Argo CD
// put on everything they apply: the object that would scale it back at its next sync.
import type { KubeObject } from '../k8s/kube-client.ts';

export type GitOpsOwner =
  | { tool: 'flux'; kind: 'Kustomization' | 'HelmRelease'; namespace: string; name: string }
  | { tool: 'argocd'; kind: 'Application'; namespace: string; name: string };

/** Argo CD's Applications live in its own namespace unless apps-in-any-namespace names one (`<ns>_<name>`). */
export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

export function gitOpsOwnerOf(object: KubeObject, argoNamespace = DEFAULT_ARGOCD_NAMESPACE): GitOpsOwner | undefined {
  const labels = object.metadata?.labels ?? {};
  const annotations = object.metadata?.annotations ?? {};
  for (const [prefix, kind] of [
    ['kustomize.toolkit.fluxcd.io', 'Kustomization'],
    ['helm.toolkit.fluxcd.io', 'HelmRelease'],
  ] as const) {
    const name = labels[`${prefix}/name`];
    // Flux writes both labels; the namespace defaults to the workload's own as flux does for a missing one.
    if (name) return { tool: 'flux', kind, name, namespace: labels[`${prefix}/namespace`] ?? object.metadata?.namespace ?? 'flux-system' };
  }
  // Tracking by annotation: "<app>:<group>/<kind>:<namespace>/<name>"; by label: the app name.
  const app = annotations['argocd.argoproj.io/tracking-id']?.split(':')[0] ?? labels['argocd.argoproj.io/instance'];
  if (app) {
    const split = app.indexOf('_');
    return split > 0
      ? { tool: 'argocd', kind: 'Application', namespace: app.slice(0, split), name: app.slice(split + 1) }
      : { tool: 'argocd', kind: 'Application', namespace: argoNamespace, name: app };
  }
  return undefined;
}

export function describeOwner(owner: GitOpsOwner): string {
  return `${owner.tool === 'flux' ? 'Flux' : 'Argo CD'} ${owner.kind} ${owner.namespace}/${owner.name}`;
}
