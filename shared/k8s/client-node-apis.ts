// The parts of @kubernetes/client-node the functions use, and nothing else. A named re-export
// list lets the bundler drop the rest of the package (the lazily loaded chunk shrinks from
// ~4.1 MB to ~2.4 MB and loads faster); `import('@kubernetes/client-node')` would keep all of it.
// Add a name here before using it through the loaded module (KubeClient, kube-config).
export {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PatchStrategy,
  V1MicroTime,
} from '@kubernetes/client-node';
