// Workloads that a GitOps controller owns are scaled back at its next sync: detect them.
import type { KubeObject } from '../../shared/k8s/kube-client.ts';

export function gitOpsManager(object: KubeObject): string | undefined {
  const labels = object.metadata?.labels ?? {};
  const annotations = object.metadata?.annotations ?? {};
  const flux = Object.keys(labels).find((key) => key.startsWith('kustomize.toolkit.fluxcd.io/') || key.startsWith('helm.toolkit.fluxcd.io/'));
  if (flux) {
    const kind = flux.startsWith('helm.') ? 'HelmRelease' : 'Kustomization';
    const name = labels[flux.replace(/\/[^/]+$/, '/name')] ?? labels[flux];
    return `Flux (${kind} ${name}): suspend it first (flux suspend ${kind === 'HelmRelease' ? 'helmrelease' : 'kustomization'} ${name}) or it scales the workload back at its next reconcile`;
  }
  const argo = labels['argocd.argoproj.io/instance'] ?? annotations['argocd.argoproj.io/tracking-id']?.split(':')[0];
  if (argo) return `Argo CD (Application ${argo}): disable its auto-sync (argocd app set ${argo} --sync-policy none) or it scales the workload back at its next sync`;
  return undefined;
}
