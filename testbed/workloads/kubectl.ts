// The real kubectl (built from the pinned k8s.io/kubernetes, like the API server), run as the
// admin: for commands the README tells users to type.
import { k8sBinaryPaths } from '../cluster/binaries.ts';
import { baseEnv, runToExit } from '../process/spawn.ts';

export async function kubectl(cluster: { kubeconfigPath: string }, args: string[]): Promise<string> {
  const result = await runToExit(k8sBinaryPaths().kubectl, [`--kubeconfig=${cluster.kubeconfigPath}`, ...args], { env: baseEnv() });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}
