// The shared set-up of the functions' integration tests: the run's API server, admin APIs,
// the function's ServiceAccount token, a fresh namespace per test, and in-process instances.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import { createTestNamespace } from '../cluster/accounts.ts';
import type { ClusterCoords } from '../cluster/control-plane.ts';
import { useCluster } from '../vitest/context.ts';
import { adminApis, type AdminApis } from '../workloads/admin-apis.ts';
import { functionToken, startFunctionUnderTest, type FunctionUnderTest } from './function-under-test.ts';
import { postJson } from '../net/http-client.ts';

export interface FunctionTestBed {
  cluster: ClusterCoords;
  api: AdminApis;
  token: string;
  /** This test's namespace. */
  ns: string;
  /** When this test started: audit events before it are not its own. */
  since: number;
  start(env?: Record<string, string>): Promise<FunctionUnderTest>;
  send(fn: FunctionUnderTest, alert: unknown): Promise<{ status: number; decision: any }>;
}

export function useFunctionTestBed(spec: ResponseFunctionSpec): FunctionTestBed {
  const started: FunctionUnderTest[] = [];
  const bed = {
    async start(env: Record<string, string> = {}) {
      const fn = await startFunctionUnderTest(bed.cluster, spec, env, bed.token);
      started.push(fn);
      return fn;
    },
    async send(fn: FunctionUnderTest, alert: unknown) {
      const answer = await postJson(fn.url, alert);
      return { status: answer.status, decision: JSON.parse(answer.body) };
    },
  } as FunctionTestBed;
  beforeAll(async () => {
    bed.cluster = useCluster();
    bed.api = adminApis(bed.cluster);
    bed.token = await functionToken(bed.cluster, spec);
  });
  beforeEach(async () => {
    bed.ns = await createTestNamespace(bed.cluster, spec.name);
    bed.since = Date.now() - 1;
  });
  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.close()));
  });
  return bed;
}
