// vitest globalSetup for the integration project: one reacting cluster (kube-apiserver + etcd,
// controller-manager, scheduler, kwok nodes) for the whole run. Tests get its coordinates with
// useCluster() from ./context.ts; tests that must stop the API server start a private bare one
// (startTestCluster({ bare: true })). Missing binaries fail the run with the command that
// builds them: integration tests never skip.
import type { TestProject } from 'vitest/node';
import { coordsOf, startTestCluster, type ClusterCoords } from '../cluster/control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterCoords;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  const cluster = await startTestCluster();
  console.log(
    `[k8s] reacting test cluster (${cluster.nodes.length} kwok nodes) ready at ${cluster.server} in ${((performance.now() - startedAt) / 1000).toFixed(1)}s (${cluster.dataDir})`,
  );
  project.provide('cluster', coordsOf(cluster));
  return async () => {
    await cluster.stop();
  };
}
