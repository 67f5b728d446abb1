// Where the functions' Kubernetes credentials come from: the pod's ServiceAccount when
// running in a cluster, else KUBECONFIG / ~/.kube/config (local runs, tests, the demo).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function isInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/** Whether any cluster can be reached at all: decides dry-run for local runs without one. */
export function hasClusterCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  if (isInCluster(env)) return true;
  const paths = env.KUBECONFIG ? env.KUBECONFIG.split(':').filter(Boolean) : [join(homedir(), '.kube', 'config')];
  return paths.some((path) => existsSync(path));
}

export function loadKubeConfig(module: typeof import('@kubernetes/client-node'), env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const config = new module.KubeConfig();
  if (isInCluster(env)) {
    config.loadFromCluster();
    return config;
  }
  config.loadFromDefault();
  if (!config.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: set KUBECONFIG or run in a pod');
  return config;
}
