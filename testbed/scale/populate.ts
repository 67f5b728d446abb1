// Fills a reacting cluster to a size: simulated nodes, namespaces, and in each a Deployment
// whose pods the controllers make, the scheduler places and kwok runs. Grows in steps, so a
// run can measure at 100 pods, then 1,000, then its largest size.
import type { V1Pod } from '@kubernetes/client-node';
import { createTestNamespace } from '../cluster/accounts.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { eventually } from '../cluster/probes.ts';
import { createNodes } from '../reacting/nodes.ts';
import type { AdminApis } from '../workloads/admin-apis.ts';
import { isRunning, podSpec } from '../workloads/pods.ts';

export const SCALE_APP_LABEL = 'testbed.falco-response.dev/scale';

export interface Population {
  nodes: number;
  namespaces: string[];
  /** Running pods, by namespace. */
  pods: number;
}

/** Adds nodes up to `nodes` in all (population.nodes counts the cluster's own; names continue after them). */
export async function growNodes(api: AdminApis, population: Population, nodes: number): Promise<void> {
  if (nodes <= population.nodes) return;
  await createNodes(api.core, nodes - population.nodes, population.nodes, 50);
  population.nodes = nodes;
}

/** Running, not terminating pods of the scale Deployments, cluster-wide. */
export async function runningScalePods(api: AdminApis): Promise<V1Pod[]> {
  const pods: V1Pod[] = [];
  let _continue: string | undefined;
  do {
    const page = await api.core.listPodForAllNamespaces({ labelSelector: SCALE_APP_LABEL, limit: 2000, _continue });
    pods.push(...page.items.filter(isRunning));
    _continue = page.metadata?._continue;
  } while (_continue);
  return pods;
}

/**
 * Grows to `namespaces` namespaces of `perNamespace` pods each (one Deployment per namespace,
 * scaled up when it exists) and waits until all those pods run, or `deadlineMs` passes
 * (then it returns what runs; the caller reports the shortfall).
 */
export async function growPods(
  api: AdminApis,
  cluster: ClusterCoords,
  population: Population,
  namespaces: number,
  perNamespace: number,
  deadlineMs: number,
): Promise<number> {
  while (population.namespaces.length < namespaces) population.namespaces.push(await createTestNamespace(cluster, 'scale'));
  const wanted = namespaces * perNamespace;
  await Promise.all(
    population.namespaces.slice(0, namespaces).map(async (namespace) => {
      try {
        await api.apps.patchNamespacedDeploymentScale({
          namespace,
          name: 'load',
          body: [{ op: 'replace', path: '/spec/replicas', value: perNamespace }],
        });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
        const labels = { [SCALE_APP_LABEL]: 'load' };
        await api.apps.createNamespacedDeployment({
          namespace,
          body: {
            metadata: { name: 'load', labels },
            spec: { replicas: perNamespace, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() } },
          },
        });
      }
    }),
  );
  // Counted from the Deployments' ready replicas (100 objects), not by listing 10,000 pods.
  const ready = async () => {
    const deployments = (await api.apps.listDeploymentForAllNamespaces({ labelSelector: `${SCALE_APP_LABEL}=load` })).items;
    return deployments
      .filter((d) => population.namespaces.slice(0, namespaces).includes(d.metadata!.namespace!))
      .reduce((sum, d) => sum + (d.status?.readyReplicas ?? 0), 0);
  };
  let running = 0;
  try {
    await eventually(
      `${wanted} running pods`,
      async () => {
        running = await ready();
        return running >= wanted;
      },
      Math.max(1_000, deadlineMs - Date.now()),
      2_000,
    );
  } catch {
    // deadline: the caller reports how far it got
  }
  population.pods = running;
  return running;
}
