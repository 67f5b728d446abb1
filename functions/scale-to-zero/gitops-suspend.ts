// suspend mode: the GitOps owner stops syncing before the workload is scaled, so nothing
// scales it back; restore resumes it.
import { KubeError } from '../../shared/k8s/errors.ts';
import type { KubeClient } from '../../shared/k8s/kube-client.ts';
import { applicationRef, turnAutomatedSyncOff } from '../../shared/gitops/argocd.ts';
import { fluxRef, setFluxSuspended } from '../../shared/gitops/flux.ts';
import { describeOwner, type GitOpsOwner } from '../../shared/gitops/owner.ts';
import type { SuspendRecord } from '../../shared/gitops/records.ts';

export class GitOpsStepFailed extends Error {}

export async function suspendOwner(kube: KubeClient, owner: GitOpsOwner): Promise<SuspendRecord> {
  try {
    if (owner.tool === 'flux') {
      await setFluxSuspended(kube, fluxRef(owner.kind, owner.namespace, owner.name), true);
      return { owner };
    }
    const automated = await turnAutomatedSyncOff(kube, applicationRef(owner.namespace, owner.name));
    if (automated === 'missing') throw new GitOpsStepFailed(`${describeOwner(owner)} does not exist`);
    return automated === undefined ? { owner } : { owner, automated };
  } catch (error) {
    if (error instanceof KubeError && error.kind === 'not-found') throw new GitOpsStepFailed(`${describeOwner(owner)} does not exist`);
    if (error instanceof KubeError) throw new GitOpsStepFailed(`could not suspend ${describeOwner(owner)}: ${error.message}`);
    throw error;
  }
}
