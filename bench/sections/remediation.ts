// Time to remediation: alert in → answer, for delete-pod acting on a fresh bare pod each time
// (read pod, read namespace, delete with a UID precondition, create an Event, then answer),
// against the same four calls issued directly with @kubernetes/client-node in this process
// with the same ServiceAccount token, two ways: client-node as it comes (a new connection per
// call) and with one kept-alive connection as the function's KubeClient does (the fair
// reference for what the function itself adds); the same calls made behind HTTP by a bare Node
// process of their own (the hop alone); and the function's KubeClient in this process. All
// alternate pod by pod, so the API server's load is shared alike.
import { Agent } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../shared/k8s/kube-client.ts';
import { loadClient } from '../../shared/k8s/load-client.ts';
import { actingAlert, filteredAlert, outcomeOf } from '../lib/alerts.ts';
import type { BenchCluster } from '../lib/cluster.ts';
import { post } from '../lib/http.ts';
import { deleteDirectly, directClient, type DirectClient } from '../lib/direct-delete.ts';
import { coldStart, type ColdStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';
import { createPod } from '../../testbed/workloads/hand-made.ts';
import { callsOf, receivedAtMs } from '../../testbed/cluster/audit.ts';
import { FUNCTION_NAMESPACE } from '../../testbed/functions/function-under-test.ts';

export interface RemediationPlan {
  pods: number;
  warmupPods: number;
  cluster: BenchCluster;
  /** delete-pod as shipped (start.cjs), with its ServiceAccount's kubeconfig. */
  deletePod: Launchable;
  /** The same, taking a slot of the cluster-wide action budget (a Lease update) before each delete. */
  deletePodWithBudget: Launchable;
  /** The same four calls made directly, behind HTTP in a bare Node process (fixtures/direct-delete-server.ts): the hop alone. */
  directOverHttp: Launchable;
}

/** The same calls through the function's own KubeClient, in this process: the wrapper's share of the overhead without the process hop. */
async function deleteThroughKubeClient(kube: KubeClient, namespace: string, name: string): Promise<void> {
  const [pod] = await Promise.all([kube.getPod(namespace, name), kube.getNamespace(namespace)]);
  const { uid, resourceVersion } = pod!.metadata!;
  const result = await kube.deletePod(namespace, name, { uid: uid!, resourceVersion }, undefined);
  if (result !== 'deleted') throw new Error(`KubeClient did not delete ${name}: ${result}`);
  await kube.recordEvent({
    regarding: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
    reason: 'Deleted',
    action: 'Delete',
    note: 'benchmark: the same delete through KubeClient',
    type: 'Normal',
  });
}

type Way = 'function' | 'function-budget' | 'direct' | 'direct-kept' | 'direct-hop' | 'kubeclient';

const WAYS: readonly Way[] = ['function', 'function-budget', 'direct', 'direct-kept', 'direct-hop', 'kubeclient'];

/** API calls (every verb: the audit policy records the functions' reads too) the delete-pod identity made while each way ran, per pod. */
function countCalls(samples: Samples, cluster: BenchCluster, windows: Map<Way, Array<[number, number]>>, pods: number): void {
  const events = callsOf(cluster.cluster, { user: `system:serviceaccount:${FUNCTION_NAMESPACE}:delete-pod` });
  for (const [way, spans] of windows) {
    const calls = events.filter((event) => spans.some(([from, to]) => receivedAtMs(event) >= from && receivedAtMs(event) <= to));
    samples.add(`calls:${way}`, calls.length / pods);
    const byKind = new Map<string, number>();
    for (const call of calls) {
      const kind = `${call.verb} ${call.objectRef?.resource ?? call.requestURI}${call.objectRef?.subresource ? `/${call.objectRef.subresource}` : ''}`;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    for (const [kind, count] of byKind) samples.add(`calls:${way}:${kind}`, count / pods);
  }
}

/** Keys: `function`, `function-budget` (with the cluster-wide budget), `kubeclient` (the function's wrapper in this process), `direct` (client-node as it comes), `direct-kept` (one kept-alive connection), `direct-hop` (the same behind HTTP in a process of its own), ms per pod; `calls:<way>` API calls per pod, `calls:<way>:<verb> <resource>` by kind (from the audit log). */
export async function measureRemediation(plan: RemediationPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  const { api, namespace } = plan.cluster;
  const direct = directClient(plan.cluster.kubeconfigPath('delete-pod'), false);
  const directKept = directClient(plan.cluster.kubeconfigPath('delete-pod'), true);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plan.cluster.kubeconfigPath('delete-pod'));
  const kube = new KubeClient(await loadClient(), kubeConfig, {
    timeoutMs: 5000,
    retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 100 },
    controller: 'falco-response.dev/bench',
    instance: 'bench',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const windows = new Map<Way, Array<[number, number]>>(WAYS.map((way) => [way, []]));
  const fn = await coldStart(plan.deletePod, filteredAlert());
  const fnBudget = await coldStart(plan.deletePodWithBudget, filteredAlert());
  const hop = await coldStart(plan.directOverHttp, '{}');
  const budgetAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const hopAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // One POST on a kept-alive agent to a server that acts (delete-pod, or the direct calls behind HTTP), timed.
    const viaHttp = async (through: ColdStart, via: Agent, body: string, pod: string) => {
      const started = performance.now();
      const answer = await post(through.port, body, {}, via);
      const ms = performance.now() - started;
      if (outcomeOf(answer.body) !== 'acted')
        throw new Error(`no action on ${pod} (its name says which way): ${answer.body}\n${through.stderr()}`);
      return ms;
    };
    const viaFunction = (pod: string, through = fn, via = agent) => viaHttp(through, via, actingAlert(namespace, pod), pod);
    const viaClient = async (client: DirectClient, pod: string) => {
      const started = performance.now();
      await deleteDirectly(client, namespace, pod);
      return performance.now() - started;
    };
    for (let i = 0; i < plan.warmupPods + plan.pods; i++) {
      const names = {
        function: `ttr-fn-${i}`,
        'function-budget': `ttr-budget-${i}`,
        direct: `ttr-direct-${i}`,
        'direct-kept': `ttr-kept-${i}`,
        'direct-hop': `ttr-hop-${i}`,
        kubeclient: `ttr-kc-${i}`,
      };
      for (const pod of Object.values(names)) await createPod(api, namespace, pod);
      const runs: Record<keyof typeof names, () => Promise<number>> = {
        function: () => viaFunction(names.function),
        'function-budget': () => viaFunction(names['function-budget'], fnBudget, budgetAgent),
        direct: () => viaClient(direct, names.direct),
        'direct-kept': () => viaClient(directKept, names['direct-kept']),
        'direct-hop': () => viaHttp(hop, hopAgent, JSON.stringify({ namespace, pod: names['direct-hop'] }), names['direct-hop']),
        kubeclient: async () => {
          const started = performance.now();
          await deleteThroughKubeClient(kube, namespace, names.kubeclient);
          return performance.now() - started;
        },
      };
      // Rotate which goes first, so none always meets a just-written etcd.
      const order = WAYS.map((_, k, all) => all[(i + k) % all.length]!);
      const measured: Partial<Record<keyof typeof names, number>> = {};
      for (const key of order) {
        const from = Date.now();
        measured[key] = await runs[key]();
        if (i >= plan.warmupPods) windows.get(key)!.push([from, Date.now()]);
      }
      if (i >= plan.warmupPods) for (const key of order) samples.add(key, measured[key]!);
    }
    progress(`time to remediation: ${plan.pods} pods each of ${WAYS.length} ways`);
    countCalls(samples, plan.cluster, windows, plan.pods);
  } finally {
    agent.destroy();
    budgetAgent.destroy();
    hopAgent.destroy();
    await fn.stop();
    await fnBudget.stop();
    await hop.stop();
  }
  return samples;
}
