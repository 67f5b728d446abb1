// One Falcosidekick (or Broker) may serve many clusters: an alert from cluster A that names
// shop/web-1 must never act on shop/web-1 in cluster B. Falcosidekick's CUSTOMFIELDS stamps
// alerts (CUSTOMFIELDS=cluster:prod-eu → output_fields.cluster = "prod-eu"); Falco itself has
// no cluster field. With CLUSTER_NAME set, only alerts stamped with it are acted on.
import type { FalcoAlert } from '../alert/falco-alert.ts';

export interface ClusterGuard {
  /** Act only on alerts stamped with this cluster (Falcosidekick's CUSTOMFIELDS); undefined: off. */
  clusterName: string | undefined;
  /** The output_fields key that names the cluster. */
  clusterField: string;
  /** With clusterName set, whether an alert that names no cluster is still acted on. */
  allowAlertsWithoutCluster: boolean;
}

export function clusterMismatch(
  alert: FalcoAlert,
  config: ClusterGuard,
): { reason: 'other-cluster' | 'no-cluster-field'; message: string } | undefined {
  if (config.clusterName === undefined) return undefined;
  const value = Object.hasOwn(alert.outputFields, config.clusterField) ? alert.outputFields[config.clusterField] : undefined;
  const named = typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  if (named === undefined) {
    if (config.allowAlertsWithoutCluster) return undefined;
    return {
      reason: 'no-cluster-field',
      message: `the alert names no cluster in output_fields.${config.clusterField} and this function acts only for cluster ${JSON.stringify(config.clusterName)} (set CUSTOMFIELDS=${config.clusterField}:${config.clusterName} in Falcosidekick, or ALLOW_ALERTS_WITHOUT_CLUSTER=true)`,
    };
  }
  if (named !== config.clusterName) {
    const shown = named.length > 100 ? `${JSON.stringify(named.slice(0, 100))}…` : JSON.stringify(named);
    return {
      reason: 'other-cluster',
      message: `the alert is from cluster ${shown}, this function acts for ${JSON.stringify(config.clusterName)}`,
    };
  }
  return undefined;
}
