// vitest globalSetup for the integration project: one real kube-apiserver + etcd for the whole
// run. Tests get its coordinates with useCluster() from ./context.ts. Missing binaries fail the
// run with the command that builds them: integration tests never skip.
import type { TestProject } from 'vitest/node';
import { startTestCluster, type ClusterCoords } from './cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterCoords;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  const cluster = await startTestCluster();
  console.log(`[k8s] test cluster ready at ${cluster.server} in ${((performance.now() - startedAt) / 1000).toFixed(1)}s (${cluster.dataDir})`);
  project.provide('cluster', {
    server: cluster.server,
    caData: cluster.caData,
    adminToken: cluster.adminToken,
    kubeconfigPath: cluster.kubeconfigPath,
    auditLogPath: cluster.auditLogPath,
    dataDir: cluster.dataDir,
  });
  return async () => {
    await cluster.stop();
  };
}
