#!/usr/bin/env node
// make demo: the whole chain on this machine, shown step by step to someone who has never
// seen the project. A cluster that reacts, on loopback: kube-apiserver + etcd, the
// controller-manager, the scheduler and kwok's simulated nodes (no containers run); the three
// functions started as their images run them (each with its own ServiceAccount), and the
// seeds' "Terminal shell in container" alert sent through Falcosidekick's Knative output
// (CloudEvents Go SDK) and its OpenFaaS output (through a gateway stand-in). Then it shows what
// the cluster did next (a replacement pod, pods terminating, the quarantine), then what the
// person on call does with the command line (falco-response status, release, restore), cleans
// up, and checks nothing it started is left running. Exits 1 if any step fails.
//
//   node scripts/demo.ts      (Node 24; `make demo` sets it up first)
import { existsSync } from 'node:fs';
import { deletePodSpec } from '../functions/delete-pod/spec.ts';
import { isolatePodSpec } from '../functions/isolate-pod/spec.ts';
import { scaleToZeroSpec } from '../functions/scale-to-zero/spec.ts';
import { rulesFor } from '../packaging/rbac.ts';
import type { ResponseFunctionSpec } from '../shared/respond/function-spec.ts';
import { createTestNamespace } from '../testbed/cluster/accounts.ts';
import { startTestCluster, type TestCluster } from '../testbed/cluster/control-plane.ts';
import { alertFor } from '../testbed/alerts/alerts.ts';
import { adminApis, type AdminApis } from '../testbed/workloads/admin-apis.ts';
import { createDeployment } from '../testbed/workloads/controllers.ts';
import { createPod, shortContainerId } from '../testbed/workloads/pods.ts';
import { functionToken } from '../testbed/functions/function-under-test.ts';
import { isRunning, portIsClosed } from '../testbed/process/leftovers.ts';
import { startOpenFaasGateway, type Gateway } from '../testbed/senders/openfaas-gateway.ts';
import type { FunctionName } from '../testbed/functions/bundles.ts';
import { assertImageNode, startFunctionProcess, type FunctionProcess } from '../testbed/functions/function-process.ts';
import { cloudEventsBinary, openFaasOutput, type FalcosidekickOutput, type OutputAnswer } from '../testbed/senders/outputs.ts';
import { clip, DemoConsole, table } from './demo/console.ts';
import { prepareParts } from './demo/prepare.ts';
import { showClusterState, type DemoTargets } from './demo/cluster-view.ts';
import { showOnCall } from './demo/on-call.ts';

const SPECS: ReadonlyArray<ResponseFunctionSpec & { name: FunctionName }> = [
  deletePodSpec,
  isolatePodSpec,
  scaleToZeroSpec,
] as ReadonlyArray<ResponseFunctionSpec & { name: FunctionName }>;

const out = new DemoConsole(8);
const startedAt = performance.now();

// Everything started, so the clean-up can stop it whatever failed.
let cluster: TestCluster | undefined;
let gateway: Gateway | undefined;
const functions = new Map<FunctionName, FunctionProcess>();
const ports = new Set<number>();
const pids = new Set<number>();

function portOf(url: string): number {
  return Number(new URL(url).port);
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The writes its ClusterRole allows (its reads are only of what it decides on). */
function writesAllowed(spec: ResponseFunctionSpec): string {
  return rulesFor(spec)
    .map((rule) => ({ verbs: rule.verbs.filter((verb) => WRITE_VERBS.has(verb)), resources: rule.resources }))
    .filter((rule) => rule.verbs.length > 0)
    .map((rule) => `${rule.verbs.join('/')} ${rule.resources.join(', ')}`)
    .join('; ');
}

async function startCluster(): Promise<TestCluster> {
  out.heading('Starting Kubernetes on this machine: etcd, kube-apiserver, controller-manager, scheduler, 2 simulated nodes');
  const started = performance.now();
  const running = await startTestCluster();
  ports.add(portOf(running.server));
  out.ok(
    `API server ready at ${running.server}, controllers, scheduler and nodes ${running.nodes.join(', ')} running, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  out.detail("The nodes are kwok's: pods are scheduled, started, made ready and stopped as a kubelet would, without containers.");
  return running;
}

async function startFunctions(running: TestCluster): Promise<void> {
  out.heading('Giving each function its own ServiceAccount, allowed only what it needs, and starting it');
  for (const spec of SPECS) {
    await functionToken(running, spec);
  }
  // allSettled: every process that did start is known to the clean-up, even if another failed.
  const results = await Promise.allSettled(SPECS.map((spec) => startFunctionProcess(running, spec)));
  const started: FunctionProcess[] = [];
  for (const result of results) {
    if (result.status === 'rejected') continue;
    const fn = result.value;
    started.push(fn);
    functions.set(fn.name, fn);
    ports.add(portOf(fn.url));
    pids.add(fn.pid);
  }
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  const rows = started.map((fn) => [fn.name, `pid ${fn.pid}`, fn.url]);
  for (const [index, line] of table(rows).entries()) {
    out.ok(line);
    out.detail(`may write: ${writesAllowed(SPECS[index]!)}`, 6);
  }
  out.detail(`Each runs \`node dist/<name>/start.cjs\` (Node ${process.versions.node}, as in its image) with a kubeconfig holding`);
  out.detail(`its ServiceAccount's token; apart from these writes it may only read what it decides on (and the pod's Events`);
  out.detail(`and logs), and create Secrets in falco-response-evidence only: the evidence it keeps before acting.`);
  gateway = await startOpenFaasGateway(Object.fromEntries(started.map((fn) => [fn.name, fn.url])));
  ports.add(portOf(gateway.url));
  out.ok(`OpenFaaS gateway stand-in at ${gateway.url}: /function/<name>.openfaas-fn → the function`);
}

async function createWorkloads(api: AdminApis, running: TestCluster): Promise<DemoTargets> {
  out.heading('Creating the workloads an attacker will open a shell in (as `kubectl create` would)');
  // Returns once the serviceaccount controller gave it the default ServiceAccount pods need.
  const namespace = await createTestNamespace(running, 'demo');
  out.ok(`Namespace ${namespace}`);
  const toolbox = await createPod(api, namespace, 'debug-toolbox', { labels: { app: 'debug-toolbox' } });
  out.ok(`Pod debug-toolbox: a bare pod, Running on ${toolbox.spec!.nodeName} (nothing would recreate it)`);
  const storefront = await createDeployment(api, namespace, 'storefront', { replicas: 2 });
  // A few seconds of grace, as real pods have, so their termination can be watched.
  const checkout = await createDeployment(api, namespace, 'checkout', { replicas: 2, terminationGracePeriodSeconds: 5 });
  for (const workload of [storefront, checkout]) {
    const replicaSet = workload.pods[0]!.metadata!.ownerReferences![0]!.name;
    out.ok(
      `Deployment ${workload.name} (2 replicas) → ReplicaSet ${replicaSet} → Pods ${workload.pods.map((p) => p.metadata!.name).join(', ')}, Running`,
    );
  }
  const target = (pod: (typeof storefront.pods)[number]) => ({
    pod: pod.metadata!.name!,
    uid: pod.metadata!.uid!,
    containerId: shortContainerId(pod),
  });
  return {
    namespace,
    bare: target(toolbox),
    deleted: {
      name: 'storefront',
      selector: storefront.selector,
      replicas: 2,
      pods: storefront.pods.map((p) => p.metadata!.name!),
      ...target(storefront.pods[0]!),
    },
    scaled: {
      name: 'checkout',
      selector: checkout.selector,
      replicas: 2,
      pods: checkout.pods.map((p) => p.metadata!.name!),
      ...target(checkout.pods[0]!),
    },
  };
}

function describeAnswer(answer: OutputAnswer): string {
  const { decision } = answer;
  return `${answer.status} ${decision.outcome}: ${decision.message}`;
}

async function deliver(output: FalcosidekickOutput, route: string, name: FunctionName, alert: Record<string, unknown>): Promise<void> {
  out.info(`→ ${route}`, 2);
  const fn = functions.get(name)!;
  let answer: OutputAnswer;
  try {
    answer = await output.send(fn, alert);
  } catch (error) {
    out.fail(`${name}: the sender failed: ${(error as Error).message}`, 4);
    return;
  }
  out.check(
    answer.status === 200 && answer.decision.outcome === 'acted',
    `${name} answered ${describeAnswer(answer)}`,
    `${name} answered ${describeAnswer(answer)}`,
    4,
  );
  for (const warning of answer.decision.warnings ?? []) out.detail(`! ${warning}`, 6);
  if (answer.cloudEvent) {
    const reply = answer.cloudEvent.reply;
    out.check(
      answer.cloudEvent.ack && answer.cloudEvent.replyValid,
      `the reply is a CloudEvent the SDK accepts (type ${reply?.type}), so a Knative Broker would count it delivered`,
      `the CloudEvents SDK did not accept the reply: ${answer.cloudEvent.replyError ?? answer.cloudEvent.result}`,
      4,
    );
  }
}

async function sendAlerts(targets: DemoTargets): Promise<void> {
  out.heading('Falco: "Terminal shell in container" in three pods');
  const storefrontAlert = alertFor(targets.namespace, targets.deleted.pod, targets.deleted.containerId);
  const checkoutAlert = alertFor(targets.namespace, targets.scaled.pod, targets.scaled.containerId);
  const toolboxAlert = alertFor(targets.namespace, targets.bare.pod, targets.bare.containerId);
  out.detail(`The seeds' real Falco alert (test/fixtures/falco/terminal-shell-tekton.json), stamped now and aimed at the demo pods:`, 2);
  for (const alert of [storefrontAlert, checkoutAlert, toolboxAlert]) {
    const fields = alert.output_fields;
    out.detail(
      `rule "${alert.rule}", priority ${alert.priority}, k8s.ns.name=${fields['k8s.ns.name']} k8s.pod.name=${fields['k8s.pod.name']} container.id=${fields['container.id']} proc.cmdline="${fields['proc.cmdline']}"`,
      4,
    );
  }
  const knative = 'Knative output (CloudEvents binary mode, CloudEvents Go SDK)';
  await deliver(cloudEventsBinary, `${knative} → delete-pod`, 'delete-pod', storefrontAlert);
  await deliver(cloudEventsBinary, `${knative} → scale-to-zero`, 'scale-to-zero', checkoutAlert);
  await deliver(
    openFaasOutput(() => gateway!.url),
    'OpenFaaS output → gateway /function/isolate-pod.openfaas-fn → isolate-pod',
    'isolate-pod',
    toolboxAlert,
  );
}

// Ctrl+C: finish the step under way, then clean up (a second Ctrl+C exits at once; the
// cluster's watchdog then stops kube-apiserver and etcd, the exit hook the functions).
let interruption: NodeJS.Signals | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (interruption) {
    console.log(`\n✗ ${signal} again: exiting now.`);
    process.exit(130);
  }
  interruption = signal;
  out.fail(
    `interrupted (${signal}): stopping after this step and cleaning up; ${signal === 'SIGINT' ? 'Ctrl+C again exits at once' : 'signal again to exit at once'}`,
  );
}

/** Between steps: stop here if interrupted. */
function checkpoint(): void {
  if (interruption) throw new Error(`interrupted (${interruption})`);
}

/** Stops everything that was started, whatever failed before, and checks it is gone. */
async function cleanUp(): Promise<void> {
  out.section('Cleaning up');
  await gateway?.close();
  await Promise.all([...functions.values()].map((fn) => fn.stop()));
  if (functions.size > 0)
    out.check(
      [...pids].every((pid) => !isRunning(pid)),
      `stopped the three functions and the gateway`,
      'a function process is still running',
    );
  if (cluster) {
    const dataDir = cluster.dataDir;
    await cluster.stop();
    out.check(
      !existsSync(dataDir),
      `stopped kwok, the scheduler, the controller-manager, kube-apiserver and etcd, removed ${dataDir}`,
      `${dataDir} is still there`,
    );
  }
  const closed = await Promise.all([...ports].map(portIsClosed));
  if (ports.size > 0)
    out.check(
      closed.every(Boolean),
      `nothing listens any more on ports ${[...ports].join(', ')}`,
      `still listening: ${[...ports].filter((_, i) => !closed[i]).join(', ')}`,
    );
}

async function main(): Promise<void> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const fn of functions.values()) fn.killNow();
  });
  out.title('falco-response-functions demo', [
    'Falco spots a shell in a container; Falcosidekick forwards the alert; a function acts on',
    'Kubernetes, and Kubernetes reacts. Here every part is real except Falco and Falcosidekick,',
    'whose requests are sent the way they send them, and the containers, which kwok simulates.',
  ]);
  try {
    assertImageNode();
    out.heading('Preparing the parts (built from this repository on first use)');
    await prepareParts(out);
    checkpoint();
    cluster = await startCluster();
    checkpoint();
    await startFunctions(cluster);
    checkpoint();
    const api = adminApis(cluster);
    const targets = await createWorkloads(api, cluster);
    checkpoint();
    await sendAlerts(targets);
    checkpoint();
    await showClusterState(
      out,
      cluster,
      api,
      targets,
      SPECS.map((spec) => spec.name),
    );
    checkpoint();
    await showOnCall(out, cluster, api, targets);
  } catch (error) {
    if (!interruption) out.fail(`the demo stopped: ${clip((error as Error).message, 400)}`);
  } finally {
    await cleanUp();
  }
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  if (interruption) {
    console.log(`\n✗ Demo interrupted after ${seconds} s; everything it started has stopped.`);
    process.exitCode = 130;
  } else if (out.failed.length > 0) {
    console.log(`\n✗ Demo failed after ${seconds} s (${out.failed.length} step${out.failed.length === 1 ? '' : 's'} above marked ✗).`);
    process.exitCode = 1;
  } else {
    console.log(`\n✓ Demo finished in ${seconds} s. Everything it started has stopped.`);
  }
}

await main();
