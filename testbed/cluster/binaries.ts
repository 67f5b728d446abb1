// Where the control-plane binaries are: built by scripts/build-k8s.sh into a cache outside the
// git tree, keyed by the versions pinned in test/k8s/versions.env (the only place they live).
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
const BUILD_COMMAND = 'bash scripts/build-k8s.sh';

export interface K8sVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

export function k8sVersions(): K8sVersions {
  const env = parseEnvFile(join(repoRoot, 'test', 'k8s', 'versions.env'));
  const kubernetes = env.get('KUBERNETES_VERSION');
  const etcd = env.get('ETCD_VERSION');
  const kwok = env.get('KWOK_VERSION');
  if (!kubernetes || !etcd || !kwok) throw new Error('test/k8s/versions.env must set KUBERNETES_VERSION, ETCD_VERSION and KWOK_VERSION');
  return { kubernetes, etcd, kwok };
}

export function parseEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=["']?([^"'#\s]*)["']?\s*(#.*)?$/.exec(line);
    if (match?.[1] && match[2] !== undefined) entries.set(match[1], match[2]);
  }
  return entries;
}

/** Same directory as scripts/build-k8s.sh: outside the git tree, keyed by version. */
export function k8sCacheDir(): string {
  return process.env.FRF_K8S_CACHE || join(homedir(), '.cache', 'falco-response-functions', 'k8s');
}

export interface K8sBinaries {
  apiserver: string;
  etcd: string;
  controllerManager: string;
  scheduler: string;
  kubectl: string;
  kwok: string;
}

/** Every binary's path; throws with the build command if one is missing. */
export function k8sBinaryPaths(): K8sBinaries {
  const { kubernetes, etcd, kwok } = k8sVersions();
  const dir = k8sCacheDir();
  const paths: K8sBinaries = {
    apiserver: join(dir, `kube-apiserver-${kubernetes}`),
    etcd: join(dir, `etcd-${etcd}`),
    controllerManager: join(dir, `kube-controller-manager-${kubernetes}`),
    scheduler: join(dir, `kube-scheduler-${kubernetes}`),
    kubectl: join(dir, `kubectl-${kubernetes}`),
    kwok: join(dir, `kwok-${kwok}`),
  };
  const missing = Object.values(paths).filter((path) => !isExecutable(path));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes test binaries missing: ${missing.join(', ')}\n` +
        `Build them (first build ~10 min on 2 cores) with:\n  cd ${repoRoot} && ${BUILD_COMMAND}`,
    );
  }
  return paths;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
