// The scale run: a reacting cluster grown in steps (nodes, namespaces, Deployment pods), the
// functions as their images run them, and at each size the alert → action latency with the
// API calls per action; then isolate-pod among many NetworkPolicies and a storm across
// distinct pods. `make bench-scale` runs it large; test/integration/reacting/scale-smoke
// runs it small so it cannot rot.
import { deletePodSpec } from '../../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../../functions/isolate-pod/spec.ts';
import { createTestNamespace } from '../cluster/accounts.ts';
import { startTestCluster, type TestCluster } from '../cluster/control-plane.ts';
import { ensureBundles } from '../functions/bundles.ts';
import { startFunctionProcess, type FunctionProcess } from '../functions/function-process.ts';
import { adminApis } from '../workloads/admin-apis.ts';
import { createDeployment } from '../workloads/controllers.ts';
import {
  isolationTimeline,
  measureActions,
  percentile,
  pickRandom,
  storm,
  type ActionSample,
  type IsolationTimeline,
  type StormResult,
} from './measure.ts';
import { growNodes, growPods, runningScalePods, type Population } from './populate.ts';
import { setSlotsAnnotation } from '../cluster/budget-lease.ts';
import { httpRequest } from '../net/http.ts';
import type { ResponseFunctionSpec } from '../../shared/respond/function-spec.ts';
import type { FunctionName } from '../functions/bundles.ts';

export interface ScaleStep {
  nodes: number;
  namespaces: number;
  podsPerNamespace: number;
}

export interface ScaleOptions {
  steps: ScaleStep[];
  /** Latency samples per size (pods picked at random). */
  samples: number;
  /** NetworkPolicies in isolate-pod's namespace. */
  policies: number;
  /** Distinct pods in the storm (at most the pods running). */
  stormPods: number;
  /** Wall-clock deadline (epoch ms) for growing; a step that does not finish is reported as reached. */
  deadline: number;
  /** Client rate limits of the controllers and the scheduler. */
  qps?: number;
  progress?: (line: string) => void;
}

export interface SizeResult {
  nodes: number;
  podsWanted: number;
  podsRunning: number;
  growSeconds: number;
  samples: ActionSample[];
  p50Ms: number;
  p99Ms: number;
  /** The distinct API-call sets of the samples that acted (one entry when every action cost the same). */
  callsPerAction: string[];
}

export interface BudgetStormResult extends StormResult {
  budget: number;
  /** /readyz probes of the API server during the storm, and how many were not 200. */
  readyzProbes: number;
  readyzFailures: number;
}

export interface ScaleReport {
  sizes: SizeResult[];
  isolation: IsolationTimeline[];
  storm?: StormResult;
  /** The same storm with the cluster-wide action budget on: exactly the budget's actions. */
  budgetStorm?: BudgetStormResult;
  stopped?: string;
  /** Measurements that failed (the others are still reported). */
  problems: string[];
  seconds: number;
}

const asProcessSpec = (spec: ResponseFunctionSpec) => spec as ResponseFunctionSpec & { name: FunctionName };

export async function runScale(options: ScaleOptions): Promise<ScaleReport> {
  const began = performance.now();
  const progress = options.progress ?? (() => {});
  ensureBundles(progress);
  const qps = options.qps ?? 100;
  const cluster: TestCluster = await startTestCluster({
    reacting: { nodes: 1, qps, burst: qps * 2, minResyncPeriod: '12h', kwokPodParallelism: 32 },
    // Thousands of pods and their watchers: the default in-flight limits (400/200) throttle first.
    apiserverArgs: ['--max-requests-inflight=2000', '--max-mutating-requests-inflight=1000'],
  });
  const started: FunctionProcess[] = [];
  try {
    const api = adminApis(cluster);
    // MAX_IN_FLIGHT high too: the storm measures actions, not the 429s of the default in-flight cap (64).
    // The cluster-wide budget is off for these (its own storm below measures it).
    const deleter = await startFunctionProcess(cluster, asProcessSpec(deletePodSpec), {
      MAX_ACTIONS: '100000',
      MAX_IN_FLIGHT: '2000',
      DEDUPE_WINDOW_SECONDS: '0',
      BUDGET: 'off',
    });
    started.push(deleter);
    const population: Population = { nodes: cluster.nodes.length, namespaces: [], pods: 0 };
    const report: ScaleReport = { sizes: [], isolation: [], problems: [], seconds: 0 };

    // isolate-pod's targets and their NetworkPolicies first: once thousands of pods queue for
    // kwok, a new pod waits its turn behind them.
    progress(`preparing isolate-pod's namespaces: 0 and ${options.policies} NetworkPolicies`);
    const suspects = [];
    for (const policies of [0, options.policies]) {
      const namespace = await createTestNamespace(cluster, `policies-${policies}`);
      for (let i = 0; i < policies; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, policies - i) }, (_, j) =>
            api.networking.createNamespacedNetworkPolicy({
              namespace,
              body: {
                metadata: { name: `allow-${i + j}` },
                spec: {
                  podSelector: { matchLabels: { app: `other-${i + j}` } },
                  policyTypes: ['Ingress'],
                  ingress: [{ _from: [{ podSelector: {} }] }],
                },
              },
            }),
          ),
        );
      }
      suspects.push({ policies, pod: (await createDeployment(api, namespace, 'suspect', { replicas: 1 })).pods[0]! });
    }

    for (const step of options.steps) {
      const t0 = performance.now();
      progress(`growing to ${step.nodes} nodes, ${step.namespaces} namespaces × ${step.podsPerNamespace} pods`);
      await growNodes(api, population, step.nodes);
      const wanted = step.namespaces * step.podsPerNamespace;
      const running = await growPods(api, cluster, population, step.namespaces, step.podsPerNamespace, options.deadline);
      const growSeconds = (performance.now() - t0) / 1000;
      progress(`  ${running} of ${wanted} pods running after ${growSeconds.toFixed(0)} s; measuring ${options.samples} deletes`);
      const pods = pickRandom(await runningScalePods(api), options.samples);
      const samples = await measureActions(cluster, deleter, pods);
      const acted = samples.filter((s) => s.outcome === 'acted');
      report.sizes.push({
        nodes: step.nodes,
        podsWanted: wanted,
        podsRunning: running,
        growSeconds,
        samples,
        p50Ms: percentile(
          acted.map((s) => s.ms),
          50,
        ),
        p99Ms: percentile(
          acted.map((s) => s.ms),
          99,
        ),
        callsPerAction: [...new Set(acted.map((s) => s.calls.join(', ')))],
      });
      if (running < wanted) {
        report.stopped = `step ${step.nodes} nodes / ${wanted} pods: ${running} running when the deadline came`;
        break;
      }
    }

    progress(`isolate-pod with 0 and ${options.policies} NetworkPolicies in the namespace`);
    const isolator = await startFunctionProcess(cluster, asProcessSpec(isolatePodSpec), { MAX_ACTIONS: '100000', BUDGET: 'off' });
    started.push(isolator);
    for (const suspect of suspects) {
      try {
        report.isolation.push(await isolationTimeline(cluster, isolator, suspect.pod, suspect.policies));
      } catch (error) {
        report.problems.push(`isolate-pod with ${suspect.policies} NetworkPolicies: ${(error as Error).message}`);
      }
    }

    const stormPods = pickRandom(await runningScalePods(api), options.stormPods);
    progress(`storm: ${stormPods.length} alerts for distinct pods at once`);
    try {
      report.storm = await storm(deleter, stormPods);
    } catch (error) {
      report.problems.push(`storm: ${(error as Error).message}`);
    }

    const budget = 50;
    const budgeted = await startFunctionProcess(cluster, asProcessSpec(deletePodSpec), {
      MAX_ACTIONS: '100000',
      MAX_IN_FLIGHT: '2000',
      DEDUPE_WINDOW_SECONDS: '0',
      BUDGET: 'cluster',
      BUDGET_MAX_ACTIONS: String(budget),
      BUDGET_WINDOW_SECONDS: '3600',
    });
    started.push(budgeted);
    await setSlotsAnnotation(cluster, undefined);
    const budgetPods = pickRandom(await runningScalePods(api), options.stormPods);
    progress(`storm with the cluster-wide budget (${budget}): ${budgetPods.length} alerts for distinct pods at once`);
    const readyz = { probes: 0, failures: 0 };
    let probing = true;
    const prober = (async () => {
      while (probing) {
        readyz.probes++;
        const answer = await httpRequest(`${cluster.server}/readyz`, {
          ca: Buffer.from(cluster.caData, 'base64').toString(),
          headers: { Authorization: `Bearer ${cluster.adminToken}` },
        }).catch(() => ({ status: 0 }));
        if (answer.status !== 200) readyz.failures++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      const result = await storm(budgeted, budgetPods);
      report.budgetStorm = { ...result, budget, readyzProbes: readyz.probes, readyzFailures: readyz.failures };
    } catch (error) {
      report.problems.push(`budget storm: ${(error as Error).message}`);
    } finally {
      probing = false;
      await prober;
    }
    report.seconds = (performance.now() - began) / 1000;
    return report;
  } finally {
    await Promise.all(started.map((fn) => fn.stop()));
    await cluster.stop();
  }
}
