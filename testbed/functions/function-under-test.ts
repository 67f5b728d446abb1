// Runs a function in-process, exactly as its entry point builds it, with the Kubernetes
// identity of its own ServiceAccount (a real token from the TokenRequest API) and RBAC
// generated from the rules it declares (and evidence capture's, as shipped).
import type { AddressInfo } from 'node:net';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { buildFunction, type BuiltFunction } from '../../shared/function-main.ts';
import { readFunctionConfig } from '../../shared/function-config.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { clusterRoleFor, evidenceNamespacedRules, FUNCTION_SPECS, namespacedRulesFor, SHIPPED_EVIDENCE } from '../../packaging/rbac.ts';
import { budgetLeaseNames } from '../../shared/respond/shared-rbac.ts';
import { kubeConfigFor } from '../cluster/credentials.ts';
import { serviceAccountToken } from '../cluster/accounts.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';

export const FUNCTION_NAMESPACE = 'falco-response';

export interface FunctionUnderTest extends BuiltFunction {
  url: string;
  identity: string;
  close(): Promise<void>;
}

async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/**
 * The function's ServiceAccount bound to a ClusterRole of exactly its declared rules; returns its
 * token. `account` names both (default the function's name): a configured spec (scale-to-zero's
 * GITOPS_MODE) gets its own, as its rules differ.
 */
export async function functionToken(cluster: ClusterCoords, spec: ResponseFunctionSpec, account: string = spec.name): Promise<string> {
  const rbac = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(RbacAuthorizationV1Api);
  const core = kubeConfigFor(cluster, cluster.adminToken).makeApiClient((await import('@kubernetes/client-node')).CoreV1Api);
  await ensure(() => core.createNamespace({ body: { metadata: { name: FUNCTION_NAMESPACE } } }));
  const role = clusterRoleFor(spec, `falco-response-${account}`);
  await ensure(() => rbac.createClusterRole({ body: role }));
  await ensure(() =>
    rbac.createClusterRoleBinding({
      body: {
        metadata: { name: role.metadata!.name! },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata!.name! },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace: FUNCTION_NAMESPACE }],
      },
    }),
  );
  // Its Role in its own namespace (the budget's Leases, by name), and the Leases as shipped.
  await ensure(() =>
    rbac.createNamespacedRole({
      namespace: FUNCTION_NAMESPACE,
      body: { metadata: { name: role.metadata!.name! }, rules: namespacedRulesFor(spec) },
    }),
  );
  await ensure(() =>
    rbac.createNamespacedRoleBinding({
      namespace: FUNCTION_NAMESPACE,
      body: {
        metadata: { name: role.metadata!.name! },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata!.name! },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace: FUNCTION_NAMESPACE }],
      },
    }),
  );
  // And its Role in the evidence namespace, as shipped: create Secrets there, nothing else.
  await ensure(() => core.createNamespace({ body: { metadata: { name: SHIPPED_EVIDENCE.namespace } } }));
  await ensure(() =>
    rbac.createNamespacedRole({
      namespace: SHIPPED_EVIDENCE.namespace,
      body: { metadata: { name: role.metadata!.name! }, rules: evidenceNamespacedRules() },
    }),
  );
  await ensure(() =>
    rbac.createNamespacedRoleBinding({
      namespace: SHIPPED_EVIDENCE.namespace,
      body: {
        metadata: { name: role.metadata!.name! },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata!.name! },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace: FUNCTION_NAMESPACE }],
      },
    }),
  );
  await ensureBudgetLeases(cluster);
  return serviceAccountToken(cluster, FUNCTION_NAMESPACE, account);
}

/** The budget's Leases in the functions' namespace, as the manifests ship them (empty). */
export async function ensureBudgetLeases(cluster: ClusterCoords): Promise<void> {
  const coordination = kubeConfigFor(cluster, cluster.adminToken).makeApiClient(CoordinationV1Api);
  for (const name of budgetLeaseNames(FUNCTION_SPECS.map((s) => s.name))) {
    await ensure(() => coordination.createNamespacedLease({ namespace: FUNCTION_NAMESPACE, body: { metadata: { name }, spec: {} } }));
  }
}

/** For the fault proxy, which speaks plain HTTP: client-node only allows that with skipTLSVerify. */
function plainHttpKubeConfig(module: typeof import('@kubernetes/client-node'), server: string, token: string) {
  const config = new module.KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'proxy', server, skipTLSVerify: true }],
    users: [{ name: 'fn', token }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'fn' }],
    currentContext: 'proxy',
  });
  return config;
}

export async function startFunctionUnderTest(
  cluster: ClusterCoords,
  spec: ResponseFunctionSpec,
  env: Record<string, string> = {},
  token?: string,
): Promise<FunctionUnderTest> {
  const saToken = token ?? (await functionToken(cluster, spec));
  // The cluster-wide budget is shared by everything in a run: tests of other behaviours leave
  // it off (test/integration/action-budget.test.ts pins it; the end-to-end bundles run with it).
  const config = readFunctionConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOCK_FILE: '',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      POD_NAMESPACE: FUNCTION_NAMESPACE,
      KUBE_TIMEOUT_MS: '3000',
      BUDGET: 'off',
      ...env,
    },
    true,
    spec,
  );
  const built = buildFunction(spec, config, {
    loadKubeConfig: (module) =>
      cluster.server.startsWith('http:') ? plainHttpKubeConfig(module, cluster.server, saToken) : kubeConfigFor(cluster, saToken),
  });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = built.app.server.address() as AddressInfo;
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    identity: `system:serviceaccount:${FUNCTION_NAMESPACE}:${spec.name}`,
    close: () => built.app.close(),
  };
}
