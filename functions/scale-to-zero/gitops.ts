// Workloads that a GitOps controller owns are scaled back at its next sync: detect them, and
// say what GITOPS_MODE=warn leaves to the operator.
import type { KubeObject } from '../../shared/k8s/kube-client.ts';
import { gitOpsOwnerOf, type GitOpsOwner } from '../../shared/gitops/owner.ts';

export function ownerWarning(owner: GitOpsOwner): string {
  if (owner.tool === 'flux') {
    const kind = owner.kind === 'HelmRelease' ? 'helmrelease' : 'kustomization';
    return (
      `Flux (${owner.kind} ${owner.name}): suspend it first (flux suspend ${kind} ${owner.name}) ` +
      'or it scales the workload back at its next reconcile'
    );
  }
  return (
    `Argo CD (Application ${owner.name}): disable its auto-sync (argocd app set ${owner.name} --sync-policy none) ` +
    'or it scales the workload back at its next sync'
  );
}

export function gitOpsManager(object: KubeObject): string | undefined {
  const owner = gitOpsOwnerOf(object);
  return owner && ownerWarning(owner);
}
