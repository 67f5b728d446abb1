// GITOPS_MODE=commit when Git does not simply take the commit, and the guard rails before
// any Git access, against Flux's real controllers and a real Git server: a concurrent commit
// is rebased onto, refused credentials and an unreachable repository are never reported as a
// commit, the fallback is what GITOPS_FALLBACK says.
import { describe, expect, it } from 'vitest';
import { commitFiles, fileAtMain, logOfMain } from '../../../testbed/gitops/git-server.ts';
import { getObject, gitRepositoryPath, kustomizationPath, mergePatch } from '../../../testbed/gitops/flux-objects.ts';
import { FUNCTION_GIT_USER, useGitOpsBed } from '../../../testbed/gitops/gitops-bed.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { freePort } from '../../../testbed/net/ports.ts';
import { shortContainerId } from '../../../testbed/workloads/pods.ts';

const bed = useGitOpsBed();
const commitEnv = (extra: Record<string, string> = {}) => ({
  GITOPS_MODE: 'commit',
  GIT_CREDENTIALS_DIR: bed.credentialsDir(FUNCTION_GIT_USER),
  ...extra,
});
const gitRequestsByFunction = (since: number) =>
  bed.git.requests.slice(since).filter((r) => r.user === FUNCTION_GIT_USER.username || r.status === 401);

describe('commit mode when the push is refused or impossible', () => {
  it('a commit pushed meanwhile: the push is refused, redone on a fresh fetch, and the branch holds both commits', async () => {
    const app = await bed.deployApp('web', 2);
    const fn = await bed.start(commitEnv());
    let concurrent = '';
    bed.git.beforePushAdvertisement = () => {
      if (!concurrent)
        concurrent = commitFiles(bed.git, { [`${app.path}/NOTES.md`]: 'a colleague was here\n' }, 'a colleague commits meanwhile');
    };
    const target = app.pods[0]!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      details: { gitops: { mode: 'commit', pushAttempts: 2 } },
    });
    const [ours, theirs] = logOfMain(bed.git);
    expect(ours!.sha).toBe(decision.details.gitops.commit);
    expect(theirs!.sha).toBe(concurrent);
    expect(fileAtMain(bed.git, `${app.path}/NOTES.md`)).toBe('a colleague was here');
    expect(fileAtMain(bed.git, `${app.path}/kustomization.yaml`)).toContain('replicas:\n  - name: web\n    count: 0');
  }, 240_000);

  it('wrong credentials: no commit is claimed; GITOPS_FALLBACK=suspend (the default) suspends the Kustomization instead', async () => {
    const app = await bed.deployApp('web', 2);
    const fn = await bed.start({
      GITOPS_MODE: 'commit',
      GIT_CREDENTIALS_DIR: bed.credentialsDir({ username: FUNCTION_GIT_USER.username, password: 'revoked-token' }),
    });
    const commits = logOfMain(bed.git).length;
    const target = app.pods[0]!;
    const { status, decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(status).toBe(200);
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      details: { gitops: { mode: 'suspend', fallbackFrom: 'commit', suspended: `Flux Kustomization ${bed.flux.namespace}/${app.flux}` } },
    });
    expect(decision.details.gitops.commitProblem).toMatch(/refused the credentials .*\(HTTP 401\) \[auth\]/);
    expect(decision.warnings.join(' ')).toMatch(/could not commit, suspended instead \(GITOPS_FALLBACK=suspend\)/);
    expect(decision.details.gitops.commit).toBeUndefined();
    expect(logOfMain(bed.git)).toHaveLength(commits);
    expect((await getObject(bed.cluster, kustomizationPath(bed.flux, app.flux))).spec.suspend).toBe(true);
  }, 240_000);

  it('repository unreachable with GITOPS_FALLBACK=none: the workload is scaled, the answer is an error that says the commit failed and Flux will scale it back', async () => {
    const app = await bed.deployApp('web', 2);
    const closed = await freePort();
    await mergePatch(bed.cluster, gitRepositoryPath(bed.flux, app.flux), { spec: { url: `http://127.0.0.1:${closed}/fleet.git` } });
    const fn = await bed.start(commitEnv({ GITOPS_FALLBACK: 'none' }));
    const target = app.pods[0]!;
    const { status, decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(status).toBe(500);
    expect(decision).toMatchObject({
      outcome: 'error',
      reason: 'gitops-commit-failed',
      details: { previousReplicas: 2, gitops: { mode: 'commit', commit: null, failure: 'unreachable' } },
    });
    expect(decision.message).toMatch(
      /^scaled Deployment .* from 2 to 0 replicas, but could not commit: the Git repository http:\/\/127\.0\.0\.1:\d+\/fleet\.git is unreachable .* will scale it back at its next sync$/,
    );
    expect((await getObject(bed.cluster, kustomizationPath(bed.flux, app.flux))).spec.suspend).toBeUndefined();
  }, 240_000);
});

describe('guard rails come before any Git access', () => {
  it('DRY_RUN: the plan names the commit, and nothing is cloned, committed or scaled', async () => {
    const app = await bed.deployApp('web', 2);
    const fn = await bed.start(commitEnv({ DRY_RUN: 'true' }));
    const requests = bed.git.requests.length;
    const commits = logOfMain(bed.git).length;
    const target = app.pods[0]!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(decision.outcome).toBe('dry-run');
    expect(decision.message).toContain(
      `commit replicas 0 for Deployment ${bed.ns}/web to ${bed.git.url} (branch main, path ./${app.path})`,
    );
    expect(gitRequestsByFunction(requests)).toEqual([]);
    expect(logOfMain(bed.git)).toHaveLength(commits);
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(2);
  }, 240_000);

  it('the blast-radius budget counts a commit as an action: with MAX_ACTIONS=1 the second workload gets no commit', async () => {
    const first = await bed.deployApp('web', 1);
    const second = await bed.deployApp('api', 1);
    const fn = await bed.start(commitEnv({ MAX_ACTIONS: '1' }));
    const commits = logOfMain(bed.git).length;
    const one = await bed.send(fn, alertFor(bed.ns, first.pods[0]!.metadata!.name!, shortContainerId(first.pods[0]!)));
    expect(one.decision).toMatchObject({ outcome: 'acted', details: { gitops: { mode: 'commit' } } });
    const requests = bed.git.requests.length;
    const two = await bed.send(fn, alertFor(bed.ns, second.pods[0]!.metadata!.name!, shortContainerId(second.pods[0]!)));
    expect(two.decision).toMatchObject({ outcome: 'dry-run', reason: 'blast-radius-limit' });
    expect(gitRequestsByFunction(requests)).toEqual([]);
    expect(logOfMain(bed.git)).toHaveLength(commits + 1);
    expect(fileAtMain(bed.git, `${second.path}/kustomization.yaml`)).not.toContain('replicas:');
  }, 240_000);

  it('protected namespaces and opt-outs: skipped before any Git access', async () => {
    const app = await bed.deployApp('web', 2);
    const requests = bed.git.requests.length;
    const protectedFn = await bed.start(commitEnv({ PROTECTED_NAMESPACES: bed.ns }));
    const target = app.pods[0]!;
    const alert = alertFor(bed.ns, target.metadata!.name!, shortContainerId(target));
    expect((await bed.send(protectedFn, alert)).decision).toMatchObject({ outcome: 'skipped', reason: 'protected-namespace' });
    await bed.api.core.patchNamespacedPod({
      namespace: bed.ns,
      name: target.metadata!.name!,
      body: [{ op: 'add', path: '/metadata/labels/falco-response.dev~1ignore', value: 'true' }],
    });
    const fn = await bed.start(commitEnv());
    expect((await bed.send(fn, alert)).decision).toMatchObject({ outcome: 'skipped', reason: 'opted-out' });
    expect(gitRequestsByFunction(requests)).toEqual([]);
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(2);
  }, 240_000);
});
