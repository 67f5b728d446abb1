// The cluster-wide action budget's Lease, as an operator (or a test) sees it: read its slots,
// empty it, break it, delete it, apply it again as the manifests ship it.
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { BUDGET_SLOTS_ANNOTATION, type BudgetSlot } from '../../shared/coordination/action-budget.ts';
import { DEFAULT_BUDGET_LEASE } from '../../shared/coordination/action-budget.ts';
import { kubeConfigFor } from './credentials.ts';
import type { ClusterCoords } from './control-plane.ts';
import { FUNCTION_NAMESPACE } from '../functions/function-under-test.ts';

function api(cluster: ClusterCoords): CoordinationV1Api {
  return kubeConfigFor(cluster, cluster.adminToken).makeApiClient(CoordinationV1Api);
}

export async function readLease(cluster: ClusterCoords, name = DEFAULT_BUDGET_LEASE): Promise<V1Lease | undefined> {
  try {
    return await api(cluster).readNamespacedLease({ namespace: FUNCTION_NAMESPACE, name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

export async function budgetSlots(cluster: ClusterCoords, name = DEFAULT_BUDGET_LEASE): Promise<BudgetSlot[]> {
  const text = (await readLease(cluster, name))?.metadata?.annotations?.[BUDGET_SLOTS_ANNOTATION];
  return text ? (JSON.parse(text) as BudgetSlot[]) : [];
}

/** Sets the slots annotation to `value` (undefined: removed), as `kubectl annotate` would. */
export async function setSlotsAnnotation(cluster: ClusterCoords, value: string | undefined, name = DEFAULT_BUDGET_LEASE): Promise<void> {
  const lease = await readLease(cluster, name);
  if (!lease) throw new Error(`no Lease ${name}`);
  const annotations = { ...lease.metadata?.annotations };
  if (value === undefined) delete annotations[BUDGET_SLOTS_ANNOTATION];
  else annotations[BUDGET_SLOTS_ANNOTATION] = value;
  await api(cluster).replaceNamespacedLease({
    namespace: FUNCTION_NAMESPACE,
    name,
    body: { ...lease, metadata: { ...lease.metadata, annotations } },
  });
}

export async function deleteLease(cluster: ClusterCoords, name = DEFAULT_BUDGET_LEASE): Promise<void> {
  await api(cluster).deleteNamespacedLease({ namespace: FUNCTION_NAMESPACE, name });
}

/** As the manifests ship it: empty. */
export async function applyLease(cluster: ClusterCoords, name = DEFAULT_BUDGET_LEASE): Promise<void> {
  await api(cluster).createNamespacedLease({ namespace: FUNCTION_NAMESPACE, body: { metadata: { name }, spec: {} } });
}
