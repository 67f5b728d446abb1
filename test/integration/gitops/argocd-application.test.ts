// suspend mode on a workload an Argo CD Application owns, against Argo CD's own Application
// CRD (from the argo-cd v3.6.1 module; no Argo CD controller runs here, so nothing would
// sync it back either way: what is checked is the change to the Application itself).
import { describe, expect, it, beforeAll } from 'vitest';
import { scaleToZeroSpec } from '../../../functions/scale-to-zero/spec.ts';
import { GITOPS_SUSPENDED_ANNOTATION } from '../../../shared/gitops/records.ts';
import { restoreScaledWorkload } from '../../../shared/gitops/restore.ts';
import { alertFor } from '../../../testbed/alerts/alerts.ts';
import { useFunctionTestBed } from '../../../testbed/functions/function-test-bed.ts';
import { functionToken, startFunctionUnderTest } from '../../../testbed/functions/function-under-test.ts';
import { installGitOpsCrds } from '../../../testbed/gitops/crds.ts';
import { adminKubeClient } from '../../../testbed/gitops/gitops-bed.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { apiRequest } from '../../../testbed/packaging/api-server.ts';
import { createDeployment, waitForPods } from '../../../testbed/workloads/controllers.ts';
import { shortContainerId } from '../../../testbed/workloads/pods.ts';

const bed = useFunctionTestBed(scaleToZeroSpec);
const appsPath = (ns: string) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`;

function application(ns: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'shop', namespace: ns },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.test/fleet.git', path: 'apps/shop', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

beforeAll(async () => {
  await installGitOpsCrds(bed.cluster);
}, 120_000);

describe('GITOPS_MODE=suspend on an Argo CD Application', () => {
  it("turns the Application's automated sync off as `argocd app set --sync-policy none` does, valid under the CRD's strict validation; restore puts it back", async () => {
    const created = await apiRequest(bed.cluster, 'POST', `${appsPath(bed.ns)}?fieldValidation=Strict`, application(bed.ns));
    expect(created.status).toBe(201);
    const env = { GITOPS_MODE: 'suspend', GITOPS_ARGOCD_NAMESPACE: bed.ns };
    const configured = readFunctionConfig({ POD_NAMESPACE: 'falco-response', ...env, KUBECONFIG: '/nonexistent' }, true, scaleToZeroSpec)
      .spec!;
    const fn = await startFunctionUnderTest(
      bed.cluster,
      scaleToZeroSpec,
      env,
      await functionToken(bed.cluster, configured, 'scale-to-zero-suspend-argocd'),
    );
    // Argo CD's label tracking: the Application's name on everything it applies.
    const shop = await createDeployment(bed.api, bed.ns, 'shop', { replicas: 2, labels: { 'argocd.argoproj.io/instance': 'shop' } });
    const target = shop.pods[0]!;
    const { decision } = await bed.send(fn, alertFor(bed.ns, target.metadata!.name!, shortContainerId(target)));
    expect(decision).toMatchObject({
      outcome: 'acted',
      reason: 'scaled-to-zero',
      details: { gitops: { mode: 'suspend', suspended: `Argo CD Application ${bed.ns}/shop` } },
    });
    await waitForPods(bed.api, bed.ns, shop.selector, 0);

    const app = (await apiRequest(bed.cluster, 'GET', `${appsPath(bed.ns)}/shop`)).body;
    expect(app.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    // The object as changed passes the CRD's schema with unknown fields refused.
    const revalidated = await apiRequest(bed.cluster, 'PUT', `${appsPath(bed.ns)}/shop?dryRun=All&fieldValidation=Strict`, app);
    expect(revalidated.status).toBe(200);
    const deployment = await bed.api.apps.readNamespacedDeployment({ namespace: bed.ns, name: 'shop' });
    expect(JSON.parse(deployment.metadata!.annotations![GITOPS_SUSPENDED_ANNOTATION]!)).toEqual({
      owner: { tool: 'argocd', kind: 'Application', namespace: bed.ns, name: 'shop' },
      automated: { prune: true, selfHeal: true },
    });

    const restored = await restoreScaledWorkload({
      kube: await adminKubeClient(bed.cluster),
      kind: 'Deployment',
      namespace: bed.ns,
      name: 'shop',
    });
    expect(restored).toMatchObject({ mode: 'suspend', replicas: 2, resumed: `Argo CD Application ${bed.ns}/shop` });
    expect((await apiRequest(bed.cluster, 'GET', `${appsPath(bed.ns)}/shop`)).body.spec.syncPolicy).toEqual(
      application(bed.ns).spec.syncPolicy,
    );
    await waitForPods(bed.api, bed.ns, shop.selector, 2);
  }, 120_000);
});
