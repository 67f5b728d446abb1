// Where Flux's controllers and the GitOps CRDs are: built and gathered by scripts/build-flux.sh
// into a cache outside the git tree, keyed by the versions in test/k8s/versions.env.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile, repoRoot } from '../cluster/binaries.ts';

export interface FluxArtifacts {
  sourceController: string;
  kustomizeController: string;
  /** The CRD files both controllers' modules ship (config/crd/bases). */
  fluxCrds: string[];
  /** Argo CD's Application CRD (manifests/crds/application-crd.yaml of its module). */
  argoApplicationCrd: string;
}

/** The paths; throws with the build command when something is missing (`crdsOnly`: the CRDs alone are needed). */
export function fluxArtifacts({ crdsOnly = false } = {}): FluxArtifacts {
  const versions = parseEnvFile(join(repoRoot, 'test', 'k8s', 'versions.env'));
  const sc = versions.get('FLUX_SOURCE_CONTROLLER_VERSION');
  const kc = versions.get('FLUX_KUSTOMIZE_CONTROLLER_VERSION');
  const argo = versions.get('ARGO_CD_VERSION');
  if (!sc || !kc || !argo)
    throw new Error('test/k8s/versions.env must set FLUX_SOURCE_CONTROLLER_VERSION, FLUX_KUSTOMIZE_CONTROLLER_VERSION and ARGO_CD_VERSION');
  const dir = process.env.FRF_FLUX_CACHE || join(homedir(), '.cache', 'falco-response-functions', 'flux');
  const crdDir = join(dir, `crds-${sc}-${kc}`);
  const artifacts = {
    sourceController: join(dir, `source-controller-${sc}`),
    kustomizeController: join(dir, `kustomize-controller-${kc}`),
    fluxCrds: existsSync(crdDir)
      ? readdirSync(crdDir)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => join(crdDir, f))
      : [],
    argoApplicationCrd: join(dir, `argo-cd-${argo}`, 'application-crd.yaml'),
  };
  const missing = [...(crdsOnly ? [] : [artifacts.sourceController, artifacts.kustomizeController]), artifacts.argoApplicationCrd].filter(
    (path) => !existsSync(path),
  );
  if (missing.length > 0 || artifacts.fluxCrds.length === 0) {
    throw new Error(
      `Flux test binaries or CRDs missing: ${[...missing, ...(artifacts.fluxCrds.length ? [] : [crdDir])].join(', ')}\nBuild them (first build ~15 min on 2 cores) with:\n  cd ${repoRoot} && bash scripts/build-flux.sh`,
    );
  }
  return artifacts;
}
