// An identity with exactly what evidence capture declares (evidenceRbacRules) plus reading pods,
// a KubeClient for it, and the evidence namespace: capture is tested with the permissions the
// functions will have, not the admin's.
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import * as k8s from '@kubernetes/client-node';
import { evidenceRbacRules } from '../../shared/forensics/evidence-rbac.ts';
import type { EvidenceSettings } from '../../shared/forensics/evidence-settings.ts';
import { KubeClient } from '../../shared/k8s/kube-client.ts';
import { serviceAccountToken } from '../cluster/accounts.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { kubeConfigFor } from '../cluster/credentials.ts';

async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

export function kubeClientFor(cluster: ClusterCoords, token: string, timeoutMs = 3000): KubeClient {
  const retry = { attempts: 1, baseDelayMs: 10, maxDelayMs: 10 };
  return new KubeClient(k8s, kubeConfigFor(cluster, token), { timeoutMs, retry, controller: 'falco-response.dev/test', instance: 'test' });
}

/** A ServiceAccount `evidence-<mode>` bound to the rules of that mode; returns a client acting as it. */
export async function evidenceCaptureClient(
  cluster: ClusterCoords,
  settings: Pick<EvidenceSettings, 'mode' | 'namespace'>,
): Promise<KubeClient> {
  const admin = kubeConfigFor(cluster, cluster.adminToken);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const core = admin.makeApiClient(CoreV1Api);
  const name = `evidence-${settings.mode}`;
  const home = 'falco-response';
  await ensure(() => core.createNamespace({ body: { metadata: { name: home } } }));
  await ensure(() => core.createNamespace({ body: { metadata: { name: settings.namespace } } }));
  const rules = evidenceRbacRules(settings);
  const subjects = [{ kind: 'ServiceAccount', name, namespace: home }];
  const clusterRules = [...rules.cluster, { apiGroups: [''], resources: ['pods'], verbs: ['get'] }];
  await ensure(() => rbac.createClusterRole({ body: { metadata: { name: `falco-response-${name}` }, rules: clusterRules } }));
  await ensure(() =>
    rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `falco-response-${name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `falco-response-${name}` },
        subjects,
      },
    }),
  );
  await ensure(() => rbac.createNamespacedRole({ namespace: settings.namespace, body: { metadata: { name }, rules: rules.namespaced } }));
  await ensure(() =>
    rbac.createNamespacedRoleBinding({
      namespace: settings.namespace,
      body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects },
    }),
  );
  return kubeClientFor(cluster, await serviceAccountToken(cluster, home, name));
}
