// Argo CD: turning an Application's automated sync off (and back on) exactly as `argocd app set
// <app> --sync-policy none` does through its API: spec.syncPolicy.automated removed.
import type { CustomObjectRef, KubeClient } from '../k8s/kube-client.ts';

export const APPLICATIONS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;

export function applicationRef(namespace: string, name: string): CustomObjectRef {
  return { ...APPLICATIONS, namespace, name };
}

/**
 * Removes spec.syncPolicy.automated (a merge patch with null) and returns what it was, to be
 * put back on restore; undefined when the Application had no automated sync.
 */
export async function turnAutomatedSyncOff(
  kube: KubeClient,
  ref: CustomObjectRef,
): Promise<Record<string, unknown> | undefined | 'missing'> {
  const app = await kube.getCustomObject(ref);
  if (!app) return 'missing';
  const automated = (app.spec?.syncPolicy as { automated?: Record<string, unknown> } | undefined)?.automated;
  if (automated === undefined) return undefined;
  await kube.patchCustomObject(ref, {
    metadata: { resourceVersion: app.metadata?.resourceVersion },
    spec: { syncPolicy: { automated: null } },
  });
  return automated;
}

/** Puts the recorded automated sync policy back. */
export async function restoreAutomatedSync(kube: KubeClient, ref: CustomObjectRef, automated: Record<string, unknown>): Promise<void> {
  await kube.patchCustomObject(ref, { spec: { syncPolicy: { automated } } });
}
