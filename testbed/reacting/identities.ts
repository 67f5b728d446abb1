// The usernames the audit log records for the reacting cluster's components, to tell their
// writes from the functions' (each controller writes as its own kube-system ServiceAccount,
// --use-service-account-credentials=true).
export const controllerUser = (controller: string) => `system:serviceaccount:kube-system:${controller}`;

export const CONTROLLER = {
  replicaSet: controllerUser('replicaset-controller'),
  deployment: controllerUser('deployment-controller'),
  statefulSet: controllerUser('statefulset-controller'),
  daemonSet: controllerUser('daemon-set-controller'),
  job: controllerUser('job-controller'),
  replicationController: controllerUser('replication-controller'),
  garbageCollector: controllerUser('generic-garbage-collector'),
  namespace: controllerUser('namespace-controller'),
  disruption: controllerUser('disruption-controller'),
  horizontalPodAutoscaler: controllerUser('horizontal-pod-autoscaler'),
} as const;

export const SCHEDULER_USER = 'system:kube-scheduler';
