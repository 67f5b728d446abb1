// The shipped RBAC manifests, applied to the real API server, grant each identity exactly the
// rules its function declares (Knative, OpenFaaS Pro) or exactly their union (OpenFaaS CE,
// where every function runs as openfaas-fn:default), and the functions work under them.
import { beforeAll, describe, expect, it } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import { ARGO_NAMESPACE, KNATIVE_NAMESPACE, OPENFAAS_FUNCTION_NAMESPACE, serviceAccountName } from '../../packaging/names.ts';
import { FUNCTION_SPECS, namespacedRulesFor, permissionSet, rulesFor, unionNamespacedRules, unionRules } from '../../packaging/rbac.ts';
import { createTestNamespace, serviceAccountToken } from '../../testbed/cluster/accounts.ts';
import type { ClusterCoords } from '../../testbed/cluster/control-plane.ts';
import { useCluster } from '../../testbed/vitest/context.ts';
import { apply, ensureNamespace } from '../../testbed/packaging/api-server.ts';
import { readYamlDocuments } from '../../testbed/packaging/manifests.ts';
import { alertFor } from '../../testbed/alerts/alerts.ts';
import { adminApis } from '../../testbed/workloads/admin-apis.ts';
import { createPod, waitForPodGone } from '../../testbed/workloads/pods.ts';
import { createDeploymentWithPod } from '../../testbed/workloads/controllers.ts';
import { startFunctionUnderTest } from '../../testbed/functions/function-under-test.ts';
import { postJson } from '../../testbed/net/http-client.ts';
import { grantedPermissions } from '../../testbed/cluster/rbac-review.ts';

let cluster: ClusterCoords;
let ns: string;
let baseline: Set<string>;

async function beyondBaseline(token: string): Promise<string[]> {
  return [...(await grantedPermissions(cluster, token, ns))].filter((p) => !baseline.has(p)).sort();
}
const declared = (permissions: string[]) => permissions.filter((p) => !baseline.has(p));

beforeAll(async () => {
  cluster = useCluster();
  ns = await createTestNamespace(cluster, 'rbac-manifests');
  baseline = await grantedPermissions(cluster, await serviceAccountToken(cluster, ns, 'nobody'), ns);
  for (const namespace of [KNATIVE_NAMESPACE, OPENFAAS_FUNCTION_NAMESPACE, ARGO_NAMESPACE]) await ensureNamespace(cluster, namespace);
  for (const file of ['knative/10-rbac.yaml', 'openfaas/rbac-pro.yaml', 'openfaas/rbac-ce.yaml', 'examples/argo/function-rbac.yaml']) {
    for (const manifest of readYamlDocuments(file)) expect((await apply(cluster, manifest)).status).toBeLessThan(300);
  }
});

describe('knative/10-rbac.yaml, openfaas/rbac-pro.yaml, examples/argo/function-rbac.yaml: one identity per function, exactly its rules', () => {
  for (const [platform, namespace] of [
    ['Knative', KNATIVE_NAMESPACE],
    ['OpenFaaS Pro', OPENFAAS_FUNCTION_NAMESPACE],
    ['Argo Workflows', ARGO_NAMESPACE],
  ] as const) {
    it.each(FUNCTION_SPECS.map((spec) => [spec.name, spec]))(`${platform}: %s`, async (_name, spec) => {
      const token = await serviceAccountToken(cluster, namespace, serviceAccountName(spec.name));
      expect(await beyondBaseline(token)).toEqual(declared(permissionSet(rulesFor(spec))));
    });
  }
});

describe("in the functions' own namespace: the budget' Leases, by name, get and update only", () => {
  const inOwnNamespace = async (token: string, namespace: string) => {
    const nobody = await grantedPermissions(cluster, await serviceAccountToken(cluster, namespace, 'nobody'), namespace);
    return [...(await grantedPermissions(cluster, token, namespace))].filter((p) => !nobody.has(p) && p.includes('leases')).sort();
  };
  for (const [platform, namespace] of [
    ['Knative', KNATIVE_NAMESPACE],
    ['OpenFaaS Pro', OPENFAAS_FUNCTION_NAMESPACE],
    ['Argo Workflows', ARGO_NAMESPACE],
  ] as const) {
    it.each(FUNCTION_SPECS.map((spec) => [spec.name, spec]))(`${platform}: %s`, async (_name, spec) => {
      const token = await serviceAccountToken(cluster, namespace, serviceAccountName(spec.name));
      expect(await inOwnNamespace(token, namespace)).toEqual(permissionSet(namespacedRulesFor(spec)));
    });
  }
  it("OpenFaaS CE: openfaas-fn:default holds every function's Lease names", async () => {
    const token = await serviceAccountToken(cluster, OPENFAAS_FUNCTION_NAMESPACE, 'default');
    expect(await inOwnNamespace(token, OPENFAAS_FUNCTION_NAMESPACE)).toEqual(permissionSet(unionNamespacedRules()));
  });
});

describe('openfaas/rbac-ce.yaml: openfaas-fn:default holds the union, and nothing else', () => {
  let token: string;
  beforeAll(async () => {
    token = await serviceAccountToken(cluster, OPENFAAS_FUNCTION_NAMESPACE, 'default');
  });

  it("grants exactly the union of the three functions' rules", async () => {
    expect(await beyondBaseline(token)).toEqual(declared(permissionSet(unionRules())));
  });

  it("is what the README warns about: under CE, delete-pod's identity can also scale", async () => {
    const granted = await beyondBaseline(token);
    expect(granted).toContain('apps/deployments/scale:update');
    expect(granted).toContain('/pods:delete');
    expect(granted).not.toContain('/secrets:get');
  });

  it('each function works as openfaas-fn:default', async () => {
    const api = adminApis(cluster);
    const target = await createTestNamespace(cluster, 'ce-acts');
    await createPod(api, target, 'alpine');
    const { podName } = await createDeploymentWithPod(api, target, 'web');
    const deleter = await startFunctionUnderTest(cluster, deletePodSpec, { POD_NAMESPACE: OPENFAAS_FUNCTION_NAMESPACE }, token);
    const scaler = await startFunctionUnderTest(cluster, scaleToZeroSpec, { POD_NAMESPACE: OPENFAAS_FUNCTION_NAMESPACE }, token);
    try {
      expect(JSON.parse((await postJson(deleter.url, alertFor(target, 'alpine'))).body)).toMatchObject({
        outcome: 'acted',
        reason: 'deleted',
      });
      await waitForPodGone(api, target, 'alpine');
      expect(JSON.parse((await postJson(scaler.url, alertFor(target, podName))).body)).toMatchObject({
        outcome: 'acted',
        reason: 'scaled-to-zero',
      });
    } finally {
      await deleter.close();
      await scaler.close();
    }
  });
});
