// The four calls delete-pod makes for a bare pod (get pod and namespace in parallel, delete with
// UID and resourceVersion preconditions, create an Event), issued directly with
// @kubernetes/client-node: as it comes (a new connection per call) or on one kept-alive
// connection, as the function's KubeClient makes them. Time to remediation's references: in the
// benchmark's process (sections/remediation.ts) and behind HTTP in one of their own
// (fixtures/direct-delete-server.ts).
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type RequestContext,
} from '@kubernetes/client-node';
import { DispatcherReuse } from '../../shared/k8s/connection-reuse.ts';

export type DirectClient = { core: CoreV1Api; events: EventsV1Api; options?: ConfigurationOptions };

export function directClient(kubeconfigPath: string, keepConnection: boolean): DirectClient {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const client: DirectClient = { core: config.makeApiClient(CoreV1Api), events: config.makeApiClient(EventsV1Api) };
  if (keepConnection) {
    const reuse = new DispatcherReuse();
    const pre = (context: RequestContext) => {
      reuse.apply(context);
      return new Observable(Promise.resolve(context));
    };
    client.options = {
      middleware: [{ pre, post: (response) => new Observable(Promise.resolve(response)) }],
      middlewareMergeStrategy: 'append',
    } as ConfigurationOptions;
  }
  return client;
}

/** What delete-pod does for a bare pod, call for call. */
export async function deleteDirectly(client: DirectClient, namespace: string, name: string): Promise<void> {
  const o = client.options;
  // As the function does: the pod and its namespace read in parallel.
  const [pod] = await Promise.all([
    client.core.readNamespacedPod({ namespace, name }, o),
    client.core.readNamespace({ name: namespace }, o),
  ]);
  const { uid, resourceVersion } = pod.metadata!;
  await client.core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid: uid!, resourceVersion: resourceVersion! } } }, o);
  const now = new Date();
  await client.events.createNamespacedEvent(
    {
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
        regarding: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid: uid! },
      },
    },
    o,
  );
}
