// Time to remediation: alert in → answer, for delete-pod acting on a fresh bare pod each time
// (read pod, read namespace, delete with a UID precondition, create an Event, then answer),
// against the same four calls issued directly with @kubernetes/client-node in this process
// with the same ServiceAccount token. Function and direct calls alternate pod by pod, so the
// API server's load is shared alike; the difference is what the function adds.
import { Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, EventsV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { actingAlert, filteredAlert, outcomeOf } from '../lib/alerts.ts';
import type { BenchCluster } from '../lib/cluster.ts';
import { post } from '../lib/http.ts';
import { coldStart, type Launchable } from '../lib/launch.ts';
import { Samples } from '../lib/samples.ts';
import { createPod } from '../../test/support/cluster-objects.ts';

export interface RemediationPlan {
  pods: number;
  warmupPods: number;
  cluster: BenchCluster;
  /** delete-pod as shipped (start.cjs), with its ServiceAccount's kubeconfig. */
  deletePod: Launchable;
}

function directClient(kubeconfigPath: string) {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return { core: config.makeApiClient(CoreV1Api), events: config.makeApiClient(EventsV1Api) };
}

/** What delete-pod does for a bare pod, call for call. */
async function deleteDirectly(client: ReturnType<typeof directClient>, namespace: string, name: string): Promise<void> {
  const pod = await client.core.readNamespacedPod({ namespace, name });
  await client.core.readNamespace({ name: namespace });
  const uid = pod.metadata!.uid!;
  await client.core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid } } });
  const now = new Date();
  await client.events.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `${name}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`, namespace },
      eventTime: new V1MicroTime(now.getTime()),
      reportingController: 'falco-response.dev/bench-direct',
      reportingInstance: 'bench',
      action: 'Delete',
      reason: 'Deleted',
      note: 'benchmark: the same delete issued directly',
      type: 'Normal',
      regarding: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
    },
  });
}

/** Keys: `function`, `direct` (ms per pod). */
export async function measureRemediation(plan: RemediationPlan, progress: (line: string) => void): Promise<Samples> {
  const samples = new Samples();
  const { api, namespace } = plan.cluster;
  const direct = directClient(plan.cluster.kubeconfigPath('delete-pod'));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const fn = await coldStart(plan.deletePod, filteredAlert());
  try {
    const viaFunction = async (pod: string) => {
      const started = performance.now();
      const answer = await post(fn.port, actingAlert(namespace, pod), {}, agent);
      const ms = performance.now() - started;
      if (outcomeOf(answer.body) !== 'acted') throw new Error(`delete-pod did not act on ${pod}: ${answer.body}\n${fn.stderr()}`);
      return ms;
    };
    const viaClient = async (pod: string) => {
      const started = performance.now();
      await deleteDirectly(direct, namespace, pod);
      return performance.now() - started;
    };
    for (let i = 0; i < plan.warmupPods + plan.pods; i++) {
      const [a, b] = [`ttr-fn-${i}`, `ttr-direct-${i}`];
      await createPod(api, namespace, a);
      await createPod(api, namespace, b);
      // Alternate which goes first, so neither always meets a just-written etcd.
      let fnMs: number;
      let directMs: number;
      if (i % 2 === 0) {
        fnMs = await viaFunction(a);
        directMs = await viaClient(b);
      } else {
        directMs = await viaClient(b);
        fnMs = await viaFunction(a);
      }
      if (i >= plan.warmupPods) {
        samples.add('function', fnMs);
        samples.add('direct', directMs);
      }
    }
    progress(`time to remediation: ${plan.pods} pods each way`);
  } finally {
    agent.destroy();
    await fn.stop();
  }
  return samples;
}
