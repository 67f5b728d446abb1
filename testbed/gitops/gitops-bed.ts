// The set-up of the GitOps tests: the run's reacting cluster, Flux's real controllers, a Git
// repository on loopback, and per test an app folder that Flux deploys (GitRepository +
// Kustomization → a Deployment whose pods kwok runs), plus scale-to-zero started with the
// GITOPS_* settings a test gives, as a ServiceAccount holding exactly that mode's rules.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import { readFunctionConfig } from '../../shared/function-config.ts';
import { KubeClient } from '../../shared/k8s/kube-client.ts';
import { createTestNamespace } from '../cluster/accounts.ts';
import { kubeConfigFor } from '../cluster/credentials.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { FUNCTION_NAMESPACE, functionToken, startFunctionUnderTest, type FunctionUnderTest } from '../functions/function-under-test.ts';
import { postJson } from '../net/http-client.ts';
import { useCluster } from '../vitest/context.ts';
import { adminApis, type AdminApis } from '../workloads/admin-apis.ts';
import { waitForPods } from '../workloads/controllers.ts';
import { startFluxControllers, type FluxControllers } from './flux-controllers.ts';
import { createFluxSource, waitForAppliedRevision } from './flux-objects.ts';
import { startGitServer, type GitServer } from './git-server.ts';
import { commitApp } from './repository.ts';

/** The Git users: Flux's source-controller reads, the function pushes. */
export const FLUX_GIT_USER = { username: 'flux', password: 'flux-read-token' };
export const FUNCTION_GIT_USER = { username: 'falco-response', password: 'falco-response-push-token' };

export interface DeployedApp {
  /** The Deployment's name. */
  name: string;
  /** The Kustomization's and GitRepository's name (in the controllers' namespace). */
  flux: string;
  /** The Kustomization's path in the repository. */
  path: string;
  /** The commit Flux applied. */
  sha: string;
  selector: Record<string, string>;
  pods: V1Pod[];
}

export interface GitOpsBed {
  cluster: ClusterCoords;
  api: AdminApis;
  flux: FluxControllers;
  git: GitServer;
  /** This test's namespace, where Flux deploys its app. */
  ns: string;
  since: number;
  /** Commits apps/<ns>/<name>/ (a Deployment `name`), makes Flux deploy it (GitRepository and Kustomization `<ns>-<name>`), and waits for its pods. */
  deployApp(name: string, replicas?: number): Promise<DeployedApp>;
  /** A folder as a mounted Secret with Git credentials looks. */
  credentialsDir(credentials: { username: string; password: string }): string;
  /** scale-to-zero with these settings (GITOPS_MODE, ...), as the ServiceAccount of exactly that configuration's rules. */
  start(env?: Record<string, string>): Promise<FunctionUnderTest>;
  send(fn: FunctionUnderTest, alert: unknown): Promise<{ status: number; decision: any }>;
}

/** Reconcile interval of the GitRepositories and Kustomizations: several reconciliations fit in a test. */
export const FLUX_INTERVAL_SECONDS = 5;

/** A KubeClient as the admin (an operator running restore), built as the functions build theirs. */
export async function adminKubeClient(cluster: ClusterCoords): Promise<KubeClient> {
  const module = await import('@kubernetes/client-node');
  return new KubeClient(module, kubeConfigFor(cluster, cluster.adminToken), {
    timeoutMs: 10_000,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    controller: 'falco-response.dev/restore',
    instance: 'test',
  });
}

export function useGitOpsBed(): GitOpsBed {
  const started: FunctionUnderTest[] = [];
  const bed = {} as GitOpsBed;
  Object.assign(bed, {
    async deployApp(name: string, replicas = 3) {
      const folder = `${bed.ns}/${name}`;
      const flux = `${bed.ns}-${name}`;
      const sha = commitApp(bed.git, folder, name, replicas);
      await createFluxSource(bed.cluster, bed.flux, {
        name: flux,
        url: bed.git.url,
        credentials: FLUX_GIT_USER,
        path: `./apps/${folder}`,
        targetNamespace: bed.ns,
        interval: `${FLUX_INTERVAL_SECONDS}s`,
      });
      await waitForAppliedRevision(bed.cluster, bed.flux, flux, sha);
      const selector = { app: name };
      const pods = await waitForPods(bed.api, bed.ns, selector, replicas);
      return { name, flux, path: `apps/${folder}`, sha, selector, pods };
    },
    credentialsDir(credentials: { username: string; password: string }) {
      const dir = mkdtempSync(join(tmpdir(), 'frf-git-credentials-'));
      writeFileSync(join(dir, 'username'), `${credentials.username}\n`);
      writeFileSync(join(dir, 'password'), `${credentials.password}\n`);
      return dir;
    },
    async start(env: Record<string, string> = {}) {
      // Only the function's own settings are read here; its namespace as the in-process start sets it.
      const configured = readFunctionConfig(
        { POD_NAMESPACE: FUNCTION_NAMESPACE, ...env, KUBECONFIG: '/nonexistent' },
        true,
        scaleToZeroSpec,
      ).spec!;
      const account = `scale-to-zero-${(env.GITOPS_MODE ?? 'warn').toLowerCase()}-${(env.GITOPS_FALLBACK ?? 'suspend').toLowerCase()}`;
      const token = await functionToken(bed.cluster, configured, account);
      const fn = await startFunctionUnderTest(bed.cluster, scaleToZeroSpec, env, token);
      started.push(fn);
      return fn;
    },
    async send(fn: FunctionUnderTest, alert: unknown) {
      const answer = await postJson(fn.url, alert);
      return { status: answer.status, decision: JSON.parse(answer.body) };
    },
  });
  beforeAll(async () => {
    bed.cluster = useCluster();
    bed.api = adminApis(bed.cluster);
    bed.git = await startGitServer('fleet', {
      [FLUX_GIT_USER.username]: FLUX_GIT_USER.password,
      [FUNCTION_GIT_USER.username]: FUNCTION_GIT_USER.password,
    });
    bed.flux = await startFluxControllers(bed.cluster);
  }, 180_000);
  beforeEach(async () => {
    bed.ns = await createTestNamespace(bed.cluster, 'gitops');
    bed.since = Date.now() - 1;
    bed.git.beforePushAdvertisement = undefined;
  });
  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.close()));
    await bed.flux?.stop();
    await bed.git?.close();
  });
  return bed;
}
