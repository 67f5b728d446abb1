// The three functions as the benchmark drives them: their specs (for RBAC) and how to make a
// target in the cluster that their alert acts on.
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../../functions/scale-to-zero/spec.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { createDeploymentChain, createPod, type AdminApis } from '../../testbed/workloads/hand-made.ts';

export interface BenchFunction {
  name: string;
  spec: ResponseFunctionSpec;
  /** Creates an object the function's alert acts on; returns the pod the alert names. */
  createTarget(api: AdminApis, namespace: string, name: string): Promise<string>;
}

export const BENCH_FUNCTIONS: BenchFunction[] = [
  {
    name: 'delete-pod',
    spec: deletePodSpec,
    createTarget: async (api, namespace, name) => (await createPod(api, namespace, name)).metadata!.name!,
  },
  {
    name: 'isolate-pod',
    spec: isolatePodSpec,
    createTarget: async (api, namespace, name) => (await createPod(api, namespace, name)).metadata!.name!,
  },
  {
    name: 'scale-to-zero',
    spec: scaleToZeroSpec,
    createTarget: async (api, namespace, name) => (await createDeploymentChain(api, namespace, name)).podName,
  },
];
