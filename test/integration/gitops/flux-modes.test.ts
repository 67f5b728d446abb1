// scale-to-zero on a workload Flux deploys, with Flux's own source-controller and
// kustomize-controller reconciling from a real Git repository: what each GITOPS_MODE leaves
// behind through several reconciliations, and what restore brings back.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GITOPS_COMMIT_ANNOTATION, GITOPS_SUSPENDED_ANNOTATION } from '../../../shared/gitops/records.ts';
import { restoreScaledWorkload } from '../../../shared/gitops/restore.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { writesOf } from '../../../testbed/cluster/audit.ts';
import { eventually } from '../../../testbed/cluster/probes.ts';
import { getObject, kustomizationPath, reconciliationsOf, waitForAppliedRevision } from '../../../testbed/gitops/flux-objects.ts';
import { fileAtMain, git, logOfMain } from '../../../testbed/gitops/git-server.ts';
import { adminKubeClient, FLUX_INTERVAL_SECONDS, FUNCTION_GIT_USER, useGitOpsBed } from '../../../testbed/gitops/gitops-bed.ts';
import { KUSTOMIZATION_YAML } from '../../../testbed/gitops/repository.ts';
import { waitForPods } from '../../../testbed/workloads/controllers.ts';
import { functionEventsIn, podsMatching, shortContainerId } from '../../../testbed/workloads/pods.ts';

const bed = useGitOpsBed();
const kustomizeController = () => `system:serviceaccount:${bed.flux.namespace}:kustomize-controller`;

/** Waits until kustomize-controller has finished `count` more reconciliations of the Kustomization. */
async function throughReconciliations(flux: string, count: number): Promise<void> {
  const before = reconciliationsOf(bed.flux, flux);
  await eventually(
    `${count} more reconciliations of Kustomization ${flux}`,
    async () => reconciliationsOf(bed.flux, flux) >= before + count,
    count * FLUX_INTERVAL_SECONDS * 1000 + 60_000,
    500,
  );
}

describe('scale-to-zero on a Flux-managed Deployment', () => {
  it('GITOPS_MODE=warn (the default): the next reconciliation brings the replicas back, and the answer warned of it', async () => {
    const app = await bed.deployApp('web', 3);
    const fn = await bed.start();
    const target = app.pods[0]!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(decision).toMatchObject({ outcome: 'acted', reason: 'scaled-to-zero', details: { previousReplicas: 3 } });
    expect(decision.warnings.join(' ')).toMatch(/Flux \(Kustomization .*\): suspend it first/);
    const scaledAt = Date.now();
    // kustomize-controller puts replicas back from Git at its next run; the ReplicaSet makes pods again.
    await eventually(
      'kustomize-controller to write the Deployment back',
      async () =>
        writesOf(bed.cluster, {
          user: kustomizeController(),
          namespace: bed.ns,
          resource: 'deployments',
          since: scaledAt,
          succeededOnly: true,
        }).length > 0,
      120_000,
      250,
    );
    const back = await waitForPods(bed.api, bed.ns, app.selector, 3);
    const revertedAfterSeconds = (Date.now() - scaledAt) / 1000;
    console.log(
      `[gitops] GITOPS_MODE=warn: Flux brought the 3 replicas back ${revertedAfterSeconds.toFixed(1)} s after scale-to-zero (interval ${FLUX_INTERVAL_SECONDS} s)`,
    );
    expect(back.every((pod) => pod.status?.phase === 'Running')).toBe(true);
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(3);
  }, 240_000);

  it('GITOPS_MODE=commit: one commit sets replicas 0 for exactly that workload, the Deployment stays at 0 through reconciliations; restore reverts it by a new commit and the pods come back', async () => {
    const app = await bed.deployApp('web', 3);
    const fn = await bed.start({ GITOPS_MODE: 'commit', GIT_CREDENTIALS_DIR: bed.credentialsDir(FUNCTION_GIT_USER) });
    const target = app.pods[0]!;
    const alert = alertFor(bed.ns, target.metadata!.name!, shortContainerId(target), { uuid: randomUUID() });
    const commitsBefore = logOfMain(bed.git).length;
    const { status, decision } = await bed.send(fn, alert);
    expect(status).toBe(200);
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      details: {
        previousReplicas: 3,
        gitops: {
          mode: 'commit',
          repository: bed.git.url,
          branch: 'main',
          file: `${app.path}/kustomization.yaml`,
          edit: 'kustomization-replicas',
          pushAttempts: 1,
        },
      },
    });
    const sha = decision.details.gitops.commit as string;

    // The repository: one new commit on top, by the function, naming the alert, touching that one file.
    const log = logOfMain(bed.git);
    expect(log).toHaveLength(commitsBefore + 1);
    expect(log[0]).toMatchObject({
      sha,
      author: 'falco-response',
      subject: `falco-response: scale Deployment ${bed.ns}/web to 0 replicas`,
    });
    expect(log[0]!.body).toContain(`Falco alert "${alert.rule}"`);
    expect(log[0]!.body).toContain(`pod ${bed.ns}/${target.metadata!.name}`);
    expect(log[0]!.body).toContain(alert.uuid);
    expect(log[0]!.body).toContain(alert.time);
    expect(git(['--git-dir', bed.git.bareDir, 'show', '--name-only', '--format=', sha])).toBe(`${app.path}/kustomization.yaml`);
    // kustomize's own replicas field, the file's comment kept.
    expect(fileAtMain(bed.git, `${app.path}/kustomization.yaml`)).toBe(
      `${KUSTOMIZATION_YAML.trimEnd()}\nreplicas:\n  - name: web\n    count: 0`,
    );

    // Recorded on the workload and the Event.
    const deployment = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' });
    expect(JSON.parse(deployment.metadata!.annotations![GITOPS_COMMIT_ANNOTATION]!)).toMatchObject({
      sha,
      url: bed.git.url,
      branch: 'main',
      previous: null,
    });
    const event = (await functionEventsIn(bed.api, bed.ns)).find((e) => e.reason === 'ScaledToZero');
    expect(event?.note).toContain(sha.slice(0, 12));
    expect(event?.metadata?.annotations?.[GITOPS_COMMIT_ANNOTATION]).toBe(sha);

    // Flux applies the commit (the function asked it to reconcile) and keeps the Deployment at 0.
    await waitForAppliedRevision(bed.cluster, bed.flux, app.flux, sha);
    expect(
      (await getObject(bed.cluster, `/apis/source.toolkit.fluxcd.io/v1/namespaces/${bed.flux.namespace}/gitrepositories/${app.flux}`))
        .metadata.annotations['reconcile.fluxcd.io/requestedAt'],
    ).toBe(decision.details.gitops.reconcileRequestedAt);
    await waitForPods(bed.api, bed.ns, app.selector, 0);
    await throughReconciliations(app.flux, 3);
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(0);
    expect(await podsMatching(bed.api, bed.ns, app.selector)).toEqual([]);

    // restore: a reverting commit on top (history kept), a reconciliation, the pods Running again.
    const restored = await restoreScaledWorkload({
      kube: await adminKubeClient(bed.cluster),
      kind: 'Deployment',
      namespace: bed.ns,
      name: 'web',
      git: { credentials: FUNCTION_GIT_USER },
    });
    expect(restored).toMatchObject({ mode: 'commit', replicas: 3, revertedCommit: sha });
    const after = logOfMain(bed.git);
    expect(after.map((c) => c.sha).slice(0, 2)).toEqual([restored.revertCommit, sha]);
    expect(fileAtMain(bed.git, `${app.path}/kustomization.yaml`)).toBe(KUSTOMIZATION_YAML.trimEnd());
    await waitForAppliedRevision(bed.cluster, bed.flux, app.flux, restored.revertCommit!);
    const back = await waitForPods(bed.api, bed.ns, app.selector, 3);
    expect(back.every((pod) => pod.status?.phase === 'Running')).toBe(true);
    const final = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' });
    expect(final.metadata?.annotations?.[GITOPS_COMMIT_ANNOTATION]).toBeUndefined();
  }, 300_000);

  it('GITOPS_MODE=suspend: the Kustomization is suspended and the Deployment stays at 0 through the interval; restore resumes it and the pods come back', async () => {
    const app = await bed.deployApp('web', 2);
    const fn = await bed.start({ GITOPS_MODE: 'suspend' });
    const target = app.pods[0]!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      warnings: [],
      details: { previousReplicas: 2, gitops: { mode: 'suspend', suspended: `Flux Kustomization ${bed.flux.namespace}/${app.flux}` } },
    });
    const kustomization = await getObject(bed.cluster, kustomizationPath(bed.flux, app.flux));
    expect(kustomization.spec.suspend).toBe(true);
    const deployment = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' });
    expect(JSON.parse(deployment.metadata!.annotations![GITOPS_SUSPENDED_ANNOTATION]!)).toEqual({
      owner: { tool: 'flux', kind: 'Kustomization', namespace: bed.flux.namespace, name: app.flux },
    });
    const event = (await functionEventsIn(bed.api, bed.ns)).find((e) => e.reason === 'ScaledToZero');
    expect(event?.note).toContain(`after suspending Flux Kustomization ${bed.flux.namespace}/${app.flux}`);
    const scaledAt = Date.now();
    await waitForPods(bed.api, bed.ns, app.selector, 0);
    // Three intervals: kustomize-controller would have re-applied replicas 2 by then.
    await eventually(
      `${3 * FLUX_INTERVAL_SECONDS} s`,
      async () => Date.now() - scaledAt > 3 * FLUX_INTERVAL_SECONDS * 1000 || undefined,
      60_000,
      500,
    );
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(0);
    expect(writesOf(bed.cluster, { user: kustomizeController(), namespace: bed.ns, resource: 'deployments', since: scaledAt })).toEqual([]);

    const restored = await restoreScaledWorkload({
      kube: await adminKubeClient(bed.cluster),
      kind: 'Deployment',
      namespace: bed.ns,
      name: 'web',
    });
    expect(restored).toMatchObject({ mode: 'suspend', replicas: 2, resumed: `Flux Kustomization ${bed.flux.namespace}/${app.flux}` });
    expect((await getObject(bed.cluster, kustomizationPath(bed.flux, app.flux))).spec.suspend).toBe(false);
    const back = await waitForPods(bed.api, bed.ns, app.selector, 2);
    expect(back.every((pod) => pod.status?.phase === 'Running')).toBe(true);
    await throughReconciliations(app.flux, 1);
    expect((await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'web' })).spec?.replicas).toBe(2);
  }, 240_000);
});
