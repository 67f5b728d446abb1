// vitest globalSetup for the integration project: one cluster for the whole run (still the
// bare API server until the tests' workloads are made by controllers). Tests get its coordinates with
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
  const cluster = await startTestCluster({ bare: true });
  console.log(`[k8s] test cluster ready at ${cluster.server} in ${((performance.now() - startedAt) / 1000).toFixed(1)}s (${cluster.dataDir})`);
  project.provide('cluster', coordsOf(cluster));
  return async () => {
    await cluster.stop();
  };
}
