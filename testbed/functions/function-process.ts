// One function running as in its image: `node dist/<name>/start.cjs` as its own process, $PORT,
// and, as its only way into the cluster, a kubeconfig holding a real token of its own
// ServiceAccount (bound to a ClusterRole of exactly the rules it declares).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { kubeConfigFor } from '../cluster/credentials.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { FUNCTION_NAMESPACE, functionToken } from './function-under-test.ts';
import { spawnFunction, type SpawnedFunction } from './spawn-function.ts';
import { bundlePath, repoRoot, type FunctionName } from './bundles.ts';

export interface FunctionProcess {
  name: FunctionName;
  url: string;
  /** The username the API server's audit log records for its writes. */
  identity: string;
  pid: number;
  /** Everything it logged so far (pino JSON lines): shown when a test fails. */
  output(): string;
  /** SIGTERM, as the platform stops it; waits for the exit and removes its kubeconfig. */
  stop(): Promise<void>;
  /** For exit hooks: SIGKILL now if still running, without waiting. */
  killNow(): void;
}

/** The Node release the images are built FROM (package.json devDependency "node", equal to the Dockerfile's). */
export function imageNodeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return pkg.devDependencies.node!;
}

export function assertImageNode(): void {
  if (process.versions.node !== imageNodeVersion()) {
    throw new Error(
      `the functions must run on Node ${imageNodeVersion()} as in their images, but this is Node ${process.versions.node}: put node_modules/.bin first on PATH`,
    );
  }
}

/** A kubeconfig file as a pod's tooling would have it: server, CA, bearer token. */
export function writeKubeconfig(dir: string, cluster: Pick<ClusterCoords, 'server' | 'caData'>, token: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, kubeConfigFor(cluster, token).exportConfig(), { mode: 0o600 });
  return path;
}

export async function startFunctionProcess(
  cluster: ClusterCoords,
  spec: ResponseFunctionSpec & { name: FunctionName },
  env: Record<string, string> = {},
): Promise<FunctionProcess> {
  const token = await functionToken(cluster, spec);
  const dir = mkdtempSync(join(tmpdir(), `frf-e2e-${spec.name}-`));
  let spawned: SpawnedFunction;
  try {
    spawned = await spawnFunction(bundlePath(spec.name), {
      KUBECONFIG: writeKubeconfig(dir, cluster, token),
      // As the manifests set it from the downward API: its own namespace is always protected.
      POD_NAMESPACE: FUNCTION_NAMESPACE,
      LOG_LEVEL: 'info',
      // The shipped budget Lease, shared by every bundle in the run: its largest size, so
      // the suite's own actions never use it up (test/integration/action-budget.test.ts pins the limit).
      BUDGET_MAX_ACTIONS: '200',
      ...env,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    name: spec.name,
    url: spawned.url,
    identity: `system:serviceaccount:${FUNCTION_NAMESPACE}:${spec.name}`,
    pid: spawned.child.pid!,
    output: spawned.output,
    async stop() {
      await spawned.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    killNow() {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
