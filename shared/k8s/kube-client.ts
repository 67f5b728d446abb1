// The one Kubernetes wrapper the functions share: typed operations they need and nothing
// more, each with a timeout, bounded retries, the patch content type the API server
// expects, and errors mapped to KubeError.
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { DispatcherReuse } from './connection-reuse.ts';
import { KubeError, toKubeError } from './errors.ts';
import { writeAtReadVersion } from './conflict.ts';
import { withRetry, type RetryPolicy } from './retry.ts';

type ClientModule = typeof import('@kubernetes/client-node');

export type ScalableKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet' | 'ReplicationController';
export type WorkloadKind = ScalableKind | 'DaemonSet' | 'Job' | 'CronJob';

/** Which of client-node's API clients serves each workload kind (see workloadMethod). */
export const WORKLOAD_API_GROUP = {
  Deployment: 'apps',
  ReplicaSet: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicationController: 'core',
  Job: 'batch',
  CronJob: 'batch',
} as const satisfies Record<WorkloadKind, 'apps' | 'core' | 'batch'>;

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: k8s.V1ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: an object of any kind; its fields are read where its kind is known
  spec?: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as spec
  status?: Record<string, any>;
}

/** Where a custom resource is: group, version, plural, namespace, name. */
export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

export interface KubeClientOptions {
  timeoutMs: number;
  retry: RetryPolicy;
  /** Observes every API call (metrics). */
  onCall?: (operation: string, durationMs: number, outcome: 'ok' | KubeError['kind']) => void;
  /** Identifies this instance in Events (reportingInstance). */
  instance: string;
  controller: string;
}

export interface EventToRecord {
  regarding: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string | undefined };
  reason: string;
  action: string;
  note: string;
  type: 'Normal' | 'Warning';
  /** Machine-readable facts about the action (e.g. delete-pod's falco-response.dev/consequence). */
  annotations?: Record<string, string>;
  /** A name of our own (e.g. from the budget slot), so that a retry after a crash writes the same Event: 409, not a second one. */
  name?: string;
}

// A pod that keeps changing between read and delete (a busy kubelet) is retried this often.
const DELETE_CONFLICT_ATTEMPTS = 3;

export class KubeClient {
  private readonly module: ClientModule;
  private readonly config: k8s.KubeConfig;
  private readonly options: KubeClientOptions;
  private readonly apis = new Map<string, unknown>();
  private readonly connections = new DispatcherReuse();

  constructor(module: ClientModule, config: k8s.KubeConfig, options: KubeClientOptions) {
    this.module = module;
    this.config = config;
    this.options = options;
  }

  private api<T extends k8s.ApiType>(type: k8s.ApiConstructor<T>): T {
    let api = this.apis.get(type.name) as T | undefined;
    if (!api) {
      api = this.config.makeApiClient(type);
      this.apis.set(type.name, api);
    }
    return api;
  }
  private get core() {
    return this.api(this.module.CoreV1Api);
  }
  private get apps() {
    return this.api(this.module.AppsV1Api);
  }
  private get batch() {
    return this.api(this.module.BatchV1Api);
  }
  private get networking() {
    return this.api(this.module.NetworkingV1Api);
  }
  private get events() {
    return this.api(this.module.EventsV1Api);
  }
  private get coordination() {
    return this.api(this.module.CoordinationV1Api);
  }
  private get custom() {
    return this.api(this.module.CustomObjectsApi);
  }

  /** Per-call options: an abort after the timeout, and a content type for patches. */
  private callOptions(contentType?: string): k8s.ConfigurationOptions {
    const timeoutMs = this.options.timeoutMs;
    const Observable = this.module.Observable;
    return {
      middleware: [
        {
          pre: (context: k8s.RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            this.connections.apply(context);
            if (contentType) context.setHeaderParam('Content-Type', contentType);
            return new Observable(Promise.resolve(context));
          },
          post: (response: k8s.ResponseContext) => new Observable(Promise.resolve(response)),
        },
      ],
      middlewareMergeStrategy: 'append',
    } as k8s.ConfigurationOptions;
  }

  private async call<T>(
    operation: string,
    run: (options: k8s.ConfigurationOptions) => Promise<T>,
    opts: { contentType?: string } = {},
  ): Promise<T> {
    return withRetry(operation, this.options.retry, () => this.observed(operation, () => run(this.callOptions(opts.contentType))));
  }

  /** One attempt, timed and reported to onCall (metrics), its failure mapped to KubeError. */
  private async observed<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await attempt();
      this.options.onCall?.(operation, performance.now() - started, 'ok');
      return result;
    } catch (error) {
      const mapped = toKubeError(error, operation);
      this.options.onCall?.(operation, performance.now() - started, mapped.kind);
      throw mapped;
    }
  }

  /** undefined when the object does not exist. */
  private async readOrUndefined<T>(operation: string, run: (options: k8s.ConfigurationOptions) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(operation, run);
    } catch (error) {
      if (error instanceof KubeError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  getPod(namespace: string, name: string): Promise<k8s.V1Pod | undefined> {
    return this.readOrUndefined('get pod', (o) => this.core.readNamespacedPod({ namespace, name }, o));
  }

  getNamespace(name: string): Promise<k8s.V1Namespace | undefined> {
    return this.readOrUndefined('get namespace', (o) => this.core.readNamespace({ name }, o));
  }

  /**
   * Deletes the pod exactly as it was read: preconditions on its UID (a pod recreated under
   * the same name is never hit) and its resourceVersion (when another instance or anyone
   * changed it in between, e.g. started its graceful deletion, the server answers 409 rather
   * than accepting a second delete). On 409 the pod is read again to tell which it was; a pod
   * that merely changed (status updates) is deleted at its new version, a bounded number of times.
   */
  async deletePod(
    namespace: string,
    name: string,
    read: { uid: string; resourceVersion?: string | undefined },
    gracePeriodSeconds: number | undefined,
  ): Promise<'deleted' | 'already-gone' | 'replaced' | 'already-terminating'> {
    const del = async (resourceVersion: string | undefined): Promise<'deleted' | 'already-gone'> => {
      const preconditions = { uid: read.uid, ...(resourceVersion ? { resourceVersion } : {}) };
      const body = { preconditions, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}) };
      const gone = await this.readOrUndefined('delete pod', (o) =>
        this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds, body }, o),
      );
      return gone === undefined ? 'already-gone' : 'deleted';
    };
    const settle = (now: k8s.V1Pod | undefined) =>
      !now
        ? 'already-gone'
        : now.metadata?.uid !== read.uid
          ? 'replaced'
          : now.metadata?.deletionTimestamp
            ? 'already-terminating'
            : undefined;
    return writeAtReadVersion<k8s.V1Pod | undefined, 'deleted' | 'already-gone', ReturnType<typeof settle> & string>({
      read: { metadata: { uid: read.uid, resourceVersion: read.resourceVersion } },
      attempts: DELETE_CONFLICT_ATTEMPTS,
      write: (pod) => del(pod?.metadata?.resourceVersion),
      readAgain: () => this.getPod(namespace, name),
      settle,
    });
  }

  /** Merge-patches labels/annotations; with resourceVersion the write fails (409) if the pod changed since it was read. */
  patchPodMetadata(
    namespace: string,
    name: string,
    change: { labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string },
  ): Promise<k8s.V1Pod> {
    const { resourceVersion, ...rest } = change;
    const body = { metadata: { ...rest, ...(resourceVersion ? { resourceVersion } : {}) } };
    return this.call('patch pod', (o) => this.core.patchNamespacedPod({ namespace, name, body }, o), {
      contentType: this.module.PatchStrategy.MergePatch,
    });
  }

  listNetworkPolicies(namespace: string): Promise<k8s.V1NetworkPolicyList> {
    return this.call('list networkpolicies', (o) => this.networking.listNamespacedNetworkPolicy({ namespace }, o));
  }

  getNetworkPolicy(namespace: string, name: string): Promise<k8s.V1NetworkPolicy | undefined> {
    return this.readOrUndefined('get networkpolicy', (o) => this.networking.readNamespacedNetworkPolicy({ namespace, name }, o));
  }

  /** Creates the policy; 'exists' when one of that name is already there (another instance or an earlier alert won). */
  async createNetworkPolicy(namespace: string, body: k8s.V1NetworkPolicy): Promise<'created' | 'exists'> {
    try {
      await this.call('create networkpolicy', (o) => this.networking.createNamespacedNetworkPolicy({ namespace, body }, o));
      return 'created';
    } catch (error) {
      if (error instanceof KubeError && error.kind === 'conflict' && error.reason === 'AlreadyExists') return 'exists';
      throw error;
    }
  }

  /** Replaces the policy; body.metadata.resourceVersion makes it fail (409) if it changed since read. */
  replaceNetworkPolicy(namespace: string, body: k8s.V1NetworkPolicy): Promise<k8s.V1NetworkPolicy> {
    return this.call('update networkpolicy', (o) =>
      this.networking.replaceNamespacedNetworkPolicy({ namespace, name: body.metadata!.name!, body }, o),
    );
  }

  /** A workload kind's client-node method: `<verb>Namespaced<Kind>[Scale]` on its API group's client. */
  private workloadMethod<T>(verb: 'read' | 'replace' | 'patch', kind: WorkloadKind, subresource: '' | 'Scale') {
    const api = this[WORKLOAD_API_GROUP[kind]] as unknown as Record<
      string,
      (params: object, options: k8s.ConfigurationOptions) => Promise<T>
    >;
    const method = api[`${verb}Namespaced${kind}${subresource}`]!;
    return (params: object, options: k8s.ConfigurationOptions) => method.call(api, params, options);
  }

  getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.readOrUndefined(`get ${kind.toLowerCase()}`, (o) =>
      this.workloadMethod<KubeObject>('read', kind, '')({ namespace, name }, o),
    );
  }

  readScale(kind: ScalableKind, namespace: string, name: string): Promise<k8s.V1Scale> {
    return this.call(`get ${kind.toLowerCase()}/scale`, (o) =>
      this.workloadMethod<k8s.V1Scale>('read', kind, 'Scale')({ namespace, name }, o),
    );
  }

  /** Writes the scale subresource; the body's resourceVersion is a precondition (409 if the workload changed). */
  replaceScale(kind: ScalableKind, namespace: string, name: string, body: k8s.V1Scale): Promise<k8s.V1Scale> {
    return this.call(`update ${kind.toLowerCase()}/scale`, (o) =>
      this.workloadMethod<k8s.V1Scale>('replace', kind, 'Scale')({ namespace, name, body }, o),
    );
  }

  /** Merge-patches a workload's annotations (null removes one), failing with 409 if it changed since resourceVersion. */
  patchWorkloadAnnotations(
    kind: ScalableKind,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
    resourceVersion: string,
  ): Promise<KubeObject> {
    const params = { namespace, name, body: { metadata: { annotations, resourceVersion } } };
    return this.call(`patch ${kind.toLowerCase()}`, (o) => this.workloadMethod<KubeObject>('patch', kind, '')(params, o), {
      contentType: this.module.PatchStrategy.MergePatch,
    });
  }

  /** A custom resource (Flux, Argo CD objects); undefined when it does not exist. */
  getCustomObject(ref: CustomObjectRef): Promise<KubeObject | undefined> {
    return this.readOrUndefined(`get ${ref.plural}`, (o) => this.custom.getNamespacedCustomObject(ref, o) as Promise<KubeObject>);
  }

  /** Merge-patches a custom resource; a resourceVersion in the body makes it fail (409) if it changed since read. */
  patchCustomObject(ref: CustomObjectRef, body: Record<string, unknown>): Promise<KubeObject> {
    return this.call(`patch ${ref.plural}`, (o) => this.custom.patchNamespacedCustomObject({ ...ref, body }, o) as Promise<KubeObject>, {
      contentType: this.module.PatchStrategy.MergePatch,
    });
  }

  getLease(namespace: string, name: string): Promise<k8s.V1Lease | undefined> {
    return this.readOrUndefined('get lease', (o) => this.coordination.readNamespacedLease({ namespace, name }, o));
  }

  /**
   * Sets annotations of a Lease by server-side apply, as this function's field manager: they are then owned, so a
   * server-side apply of the shipped Lease (kubectl apply --server-side after a client-side one, Flux) leaves
   * them alone; a Lease written with plain updates has no field owners until its first apply, and loses them to
   * it. The resourceVersion is a precondition: 409 if anyone changed the Lease since it was read.
   */
  applyLeaseAnnotations(
    namespace: string,
    name: string,
    resourceVersion: string,
    annotations: Record<string, string>,
  ): Promise<k8s.V1Lease> {
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, resourceVersion, annotations } };
    const params = { namespace, name, body, fieldManager: this.options.controller, force: true };
    return this.call('apply lease', (o) => this.coordination.patchNamespacedLease(params, o), {
      contentType: this.module.PatchStrategy.ServerSideApply,
    });
  }

  /**
   * Records an events.k8s.io/v1 Event on the object acted on (what `kubectl describe` and
   * `kubectl events` show). 'exists' when an Event of that name is there already (a re-run).
   */
  async recordEvent(event: EventToRecord): Promise<'recorded' | 'exists'> {
    const now = new Date();
    const body: k8s.EventsV1Event = {
      // Named as client-go's recorder names them: <object>.<unique hex>.
      metadata: {
        name: event.name ?? `${event.regarding.name.slice(0, 200)}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`,
        namespace: event.regarding.namespace,
        annotations: event.annotations,
      },
      eventTime: new this.module.V1MicroTime(now.getTime()),
      reportingController: this.options.controller,
      reportingInstance: this.options.instance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      note: event.note.length > 1024 ? `${event.note.slice(0, 1021)}...` : event.note,
      type: event.type,
      regarding: event.regarding,
    };
    try {
      await this.call('create event', (o) => this.events.createNamespacedEvent({ namespace: event.regarding.namespace, body }, o));
      return 'recorded';
    } catch (error) {
      if (event.name !== undefined && error instanceof KubeError && error.kind === 'conflict' && error.reason === 'AlreadyExists')
        return 'exists';
      throw error;
    }
  }
  // ---- Evidence (shared/forensics/) and the operator's command line (cli/) ----

  /** One attempt, no retry, aborted by `signal` too: for reads that must fit a caller's deadline. */
  private async callOnce<T>(operation: string, signal: AbortSignal, run: (o: k8s.ConfigurationOptions) => Promise<T>): Promise<T> {
    const options = this.callOptions();
    const Observable = this.module.Observable;
    (options.middleware as unknown as object[]).push({
      pre: (context: k8s.RequestContext) => {
        context.setSignal(AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]));
        return new Observable(Promise.resolve(context));
      },
      post: (response: k8s.ResponseContext) => new Observable(Promise.resolve(response)),
    });
    return this.observed(operation, () => run(options));
  }

  /** A container's log (pods/log): the last `tailLines` lines, at most `limitBytes` of them, as text. */
  readPodLog(
    namespace: string,
    name: string,
    container: string,
    read: { previous: boolean; tailLines: number; limitBytes: number; signal: AbortSignal },
  ): Promise<string> {
    const params = { namespace, name, container, previous: read.previous, tailLines: read.tailLines, limitBytes: read.limitBytes };
    return this.callOnce('get pods/log', read.signal, (o) => this.core.readNamespacedPodLog(params, o));
  }

  /** The core/v1 Events about one object (field selector on its UID), within a deadline. */
  listEventsAbout(namespace: string, uid: string, signal: AbortSignal): Promise<k8s.CoreV1EventList> {
    const fieldSelector = `involvedObject.uid=${uid}`;
    return this.callOnce('list events', signal, (o) => this.core.listNamespacedEvent({ namespace, fieldSelector }, o));
  }

  /** Events in a namespace (all namespaces when undefined), optionally by field selector. */
  listEvents(namespace: string | undefined, fieldSelector?: string): Promise<k8s.CoreV1EventList> {
    return namespace === undefined
      ? this.call('list events', (o) => this.core.listEventForAllNamespaces({ fieldSelector }, o))
      : this.call('list events', (o) => this.core.listNamespacedEvent({ namespace, fieldSelector }, o));
  }

  /** Creates the Secret; 'exists' when one of that name is there already (an earlier attempt stored it). */
  async createSecret(namespace: string, body: k8s.V1Secret, signal?: AbortSignal): Promise<'created' | 'exists'> {
    try {
      const create = (o: k8s.ConfigurationOptions) => this.core.createNamespacedSecret({ namespace, body }, o);
      await (signal ? this.callOnce('create secret', signal, create) : this.call('create secret', create));
      return 'created';
    } catch (error) {
      if (error instanceof KubeError && error.kind === 'conflict' && error.reason === 'AlreadyExists') return 'exists';
      throw error;
    }
  }

  listSecrets(namespace: string, labelSelector: string): Promise<k8s.V1SecretList> {
    return this.call('list secrets', (o) => this.core.listNamespacedSecret({ namespace, labelSelector }, o));
  }

  getSecret(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
    return this.readOrUndefined('get secret', (o) => this.core.readNamespacedSecret({ namespace, name }, o));
  }

  /** Deletes the Secret that was read (UID precondition); 'already-gone' when it is not there. */
  async deleteSecret(namespace: string, name: string, uid: string): Promise<'deleted' | 'already-gone'> {
    const body = { preconditions: { uid } };
    const gone = await this.readOrUndefined('delete secret', (o) => this.core.deleteNamespacedSecret({ namespace, name, body }, o));
    return gone === undefined ? 'already-gone' : 'deleted';
  }

  /** Pods by label selector, in a namespace or (undefined) all namespaces. */
  listPods(namespace: string | undefined, labelSelector: string): Promise<k8s.V1PodList> {
    return namespace === undefined
      ? this.call('list pods', (o) => this.core.listPodForAllNamespaces({ labelSelector }, o))
      : this.call('list pods', (o) => this.core.listNamespacedPod({ namespace, labelSelector }, o));
  }

  /** NetworkPolicies by label selector, in a namespace or (undefined) all namespaces. */
  listNetworkPoliciesLabelled(namespace: string | undefined, labelSelector: string): Promise<k8s.V1NetworkPolicyList> {
    return namespace === undefined
      ? this.call('list networkpolicies', (o) => this.networking.listNetworkPolicyForAllNamespaces({ labelSelector }, o))
      : this.call('list networkpolicies', (o) => this.networking.listNamespacedNetworkPolicy({ namespace, labelSelector }, o));
  }

  deleteNetworkPolicy(namespace: string, name: string, uid: string): Promise<unknown> {
    const body = { preconditions: { uid } };
    return this.readOrUndefined('delete networkpolicy', (o) => this.networking.deleteNamespacedNetworkPolicy({ namespace, name, body }, o));
  }

  /** Merge-patches a pod's labels and annotations (null removes one); resourceVersion makes it fail (409) if it changed. */
  patchPodMetadataRemoving(
    namespace: string,
    name: string,
    change: { labels: Record<string, string | null>; annotations: Record<string, string | null>; resourceVersion: string },
  ): Promise<k8s.V1Pod> {
    const params = { namespace, name, body: { metadata: change } };
    return this.call('patch pod', (o) => this.core.patchNamespacedPod(params, o), { contentType: this.module.PatchStrategy.MergePatch });
  }

  /** Workloads of a kind, in a namespace or (undefined) all namespaces: `listNamespaced<Kind>` / `list<Kind>ForAllNamespaces`. */
  listWorkloads(kind: ScalableKind, namespace: string | undefined): Promise<{ items: KubeObject[] }> {
    type List = (params: object, options: k8s.ConfigurationOptions) => Promise<{ items: KubeObject[] }>;
    const api = this[WORKLOAD_API_GROUP[kind]] as unknown as Record<string, List>;
    const method = api[namespace === undefined ? `list${kind}ForAllNamespaces` : `listNamespaced${kind}`]!;
    return this.call(`list ${kind.toLowerCase()}s`, (o) => method.call(api, namespace === undefined ? {} : { namespace }, o));
  }

  /** Who these credentials are (authentication.k8s.io SelfSubjectReview): for the Events the CLI records. */
  async whoAmI(): Promise<string> {
    const authentication = this.api(this.module.AuthenticationV1Api);
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const review = await this.call('create selfsubjectreview', (o) => authentication.createSelfSubjectReview({ body }, o));
    return review.status?.userInfo?.username ?? 'unknown';
  }
}
