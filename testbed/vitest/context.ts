// The shared cluster started by global-setup.ts, as seen from inside a test file.
import { inject } from 'vitest';
import type {} from './global-setup.ts'; // brings in the ProvidedContext typing
import type { ClusterCoords } from '../cluster/control-plane.ts';

/**
 * Coordinates of the run's shared cluster. Everything in ../cluster/ that takes a cluster
 * accepts them. Stopping/starting the apiserver cannot cross processes: fault tests start a
 * private cluster with startTestCluster() instead.
 */
export function useCluster(): ClusterCoords {
  const cluster = inject('cluster');
  if (!cluster) {
    throw new Error("no test cluster: add 'testbed/vitest/global-setup.ts' to this vitest project's globalSetup");
  }
  return cluster;
}
