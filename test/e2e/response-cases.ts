// What each function is expected to do to the cluster, and how to tell it did (or did not),
// read back as the admin from the reacting cluster's API server. Workloads are made as users
// make them; the controllers, the scheduler and kwok make and run the pods.
import { expect } from 'vitest';
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { QUARANTINE_LABEL } from '../../functions/isolate-pod/quarantine.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { PREVIOUS_REPLICAS_ANNOTATION, scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { OPT_OUT_KEY } from '../../shared/guards/pod-checks.ts';
import type { AdminApis } from '../../testbed/workloads/admin-apis.ts';
import { createDeploymentWithPod } from '../../testbed/workloads/controllers.ts';
import { createPod, podExists, shortContainerId, waitForPodGone } from '../../testbed/workloads/pods.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../testbed/functions/bundles.ts';

export interface Target {
  namespace: string;
  pod: string;
  /** As Falco prints it: the first 12 hex digits. */
  containerId: string;
  /** The workload above the pod, when there is one. */
  deployment?: string;
}

export interface ResponseCase {
  spec: ResponseFunctionSpec & { name: FunctionName };
  /** What the function does, for test names. */
  does: string;
  /** Creates the pod (and its owners) an alert will name. */
  prepare(api: AdminApis, namespace: string, name: string): Promise<Target>;
  /** The decision's reason when it acted. */
  actedReason: string;
  /** Asserts the change is in the API server. */
  expectActed(api: AdminApis, target: Target): Promise<void>;
  /** Asserts nothing about the target changed. */
  expectUntouched(api: AdminApis, target: Target): Promise<void>;
  /** Successful writes of one action in the target's namespace, by audited resource. */
  writesPerAction: Record<string, number>;
}

/** Adds the opt-out label to a pod that exists (JSON patch: the pod already has labels). */
export async function optOut(api: AdminApis, target: Target): Promise<void> {
  await api.core.patchNamespacedPod({
    namespace: target.namespace,
    name: target.pod,
    body: [{ op: 'add', path: `/metadata/labels/${OPT_OUT_KEY.replace('/', '~1')}`, value: 'true' }],
  });
}

async function bareRunningPod(api: AdminApis, namespace: string, name: string): Promise<Target> {
  const pod = await createPod(api, namespace, name, { labels: { app: name } });
  return { namespace, pod: name, containerId: shortContainerId(pod) };
}

export const deletePodCase: ResponseCase = {
  spec: deletePodSpec as ResponseCase['spec'],
  does: 'deletes the pod',
  prepare: bareRunningPod,
  actedReason: 'deleted',
  async expectActed(api, target) {
    await waitForPodGone(api, target.namespace, target.pod);
  },
  async expectUntouched(api, target) {
    expect(await podExists(api, target.namespace, target.pod)).toBeDefined();
  },
  writesPerAction: { pods: 1, events: 1 },
};

export const isolatePodCase: ResponseCase = {
  spec: isolatePodSpec as ResponseCase['spec'],
  does: 'isolates the pod behind a deny-all NetworkPolicy',
  prepare: bareRunningPod,
  actedReason: 'isolated',
  async expectActed(api, target) {
    const pod = await podExists(api, target.namespace, target.pod);
    const uid = pod!.metadata!.uid!;
    expect(pod!.metadata!.labels).toMatchObject({ [QUARANTINE_LABEL]: uid });
    const policies = (await api.networking.listNamespacedNetworkPolicy({ namespace: target.namespace })).items;
    expect(policies).toHaveLength(1);
    expect(policies[0]!.spec).toMatchObject({
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } },
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(policies[0]!.spec!.ingress ?? []).toEqual([]);
    expect(policies[0]!.spec!.egress ?? []).toEqual([]);
    // The policy selects exactly the pod, and the pod is still there to be examined.
    const selected = await api.core.listNamespacedPod({ namespace: target.namespace, labelSelector: `${QUARANTINE_LABEL}=${uid}` });
    expect(selected.items.map((p) => p.metadata!.name)).toEqual([target.pod]);
  },
  async expectUntouched(api, target) {
    const pod = await podExists(api, target.namespace, target.pod);
    expect(pod?.metadata?.labels?.[QUARANTINE_LABEL]).toBeUndefined();
    const policies = (await api.networking.listNamespacedNetworkPolicy({ namespace: target.namespace })).items;
    expect(policies.filter((p) => p.metadata?.annotations?.['falco-response.dev/pod'] === target.pod)).toEqual([]);
  },
  writesPerAction: { networkpolicies: 1, pods: 1, events: 1 },
};

const REPLICAS = 2;

export const scaleToZeroCase: ResponseCase = {
  spec: scaleToZeroSpec as ResponseCase['spec'],
  does: "scales the pod's Deployment to 0",
  async prepare(api, namespace, name) {
    const { pods } = await createDeploymentWithPod(api, namespace, name, { replicas: REPLICAS });
    return { namespace, pod: pods[0]!.metadata!.name!, containerId: shortContainerId(pods[0]!), deployment: name };
  },
  actedReason: 'scaled-to-zero',
  async expectActed(api, target) {
    const deployment = await api.apps.readNamespacedDeployment({ namespace: target.namespace, name: target.deployment! });
    expect(deployment.spec!.replicas).toBe(0);
    expect(deployment.metadata!.annotations).toMatchObject({ [PREVIOUS_REPLICAS_ANNOTATION]: String(REPLICAS) });
  },
  async expectUntouched(api, target) {
    const deployment = await api.apps.readNamespacedDeployment({ namespace: target.namespace, name: target.deployment! });
    expect(deployment.spec!.replicas).toBe(REPLICAS);
    expect(deployment.metadata!.annotations?.[PREVIOUS_REPLICAS_ANNOTATION]).toBeUndefined();
  },
  // The annotation patch and the scale subresource update are both audited as deployments.
  writesPerAction: { deployments: 2, events: 1 },
};

const CASE_OF: Record<FunctionName, ResponseCase> = {
  'delete-pod': deletePodCase,
  'isolate-pod': isolatePodCase,
  'scale-to-zero': scaleToZeroCase,
};

/**
 * One case per registered function (functions/index.ts), in its order: a function added to
 * the registry without a case here fails every end-to-end suite instead of going untested.
 */
export function responseCasesFor(names: readonly string[]): ResponseCase[] {
  return names.map((name) => {
    const found = (CASE_OF as Record<string, ResponseCase | undefined>)[name];
    if (!found)
      throw new Error(`function ${name} is registered (functions/index.ts) but has no end-to-end case in test/e2e/response-cases.ts`);
    return found;
  });
}

export const RESPONSE_CASES: readonly ResponseCase[] = responseCasesFor(FUNCTION_NAMES);
