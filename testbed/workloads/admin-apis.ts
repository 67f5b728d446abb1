// The admin's API clients, for setting up and reading back what tests look at.
import { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, EventsV1Api, NetworkingV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { kubeConfigFor } from '../cluster/credentials.ts';

export function adminApis(cluster: { server: string; caData: string; adminToken: string }) {
  const config = kubeConfigFor(cluster, cluster.adminToken);
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    batch: config.makeApiClient(BatchV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    events: config.makeApiClient(EventsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
    autoscaling: config.makeApiClient(AutoscalingV2Api),
  };
}

export type AdminApis = ReturnType<typeof adminApis>;
