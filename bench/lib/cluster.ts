// The real kube-apiserver + etcd of the test harness, with each function's ServiceAccount,
// its RBAC and a kubeconfig file holding its token: what the functions see in a cluster.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestNamespace } from '../../testbed/cluster/accounts.ts';
import { kubeConfigFor } from '../../testbed/cluster/credentials.ts';
import { startTestCluster, type TestCluster } from '../../testbed/cluster/control-plane.ts';
import { adminApis, type AdminApis } from '../../testbed/workloads/hand-made.ts';
import { functionToken } from '../../testbed/functions/function-under-test.ts';
import type { BenchFunction } from './functions.ts';

export interface BenchCluster {
  cluster: TestCluster;
  api: AdminApis;
  /** Where the benchmark's pods live. */
  namespace: string;
  kubeconfigPath(fn: string): string;
  token(fn: string): string;
  stop(): Promise<void>;
}

export async function startBenchCluster(functions: BenchFunction[]): Promise<BenchCluster> {
  const cluster = await startTestCluster({ bare: true });
  try {
    const api = adminApis(cluster);
    const namespace = await createTestNamespace(cluster, 'bench');
    const tokens = new Map<string, string>();
    for (const fn of functions) {
      const token = await functionToken(cluster, fn.spec);
      tokens.set(fn.name, token);
      writeFileSync(join(cluster.dataDir, `kubeconfig-${fn.name}`), kubeConfigFor(cluster, token).exportConfig(), { mode: 0o600 });
    }
    return {
      cluster,
      api,
      namespace,
      kubeconfigPath: (fn) => join(cluster.dataDir, `kubeconfig-${fn}`),
      token: (fn) => tokens.get(fn)!,
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
