// `npm run bench`: builds, starts a real kube-apiserver, measures cold start, throughput and
// memory, time to remediation (and what evidence capture adds to it, on a reacting cluster) and
// bundle sizes, prints the table and updates RESULTS.md.
import { join } from 'node:path';
import { dryRunBody } from './sections/throughput.ts';
import { actingAlert, unselectedAlert } from './lib/alerts.ts';
import { benchCache, buildAll } from './lib/build.ts';
import { repoRoot } from './lib/bundle-like-functions.ts';
import { startBenchCluster } from './lib/cluster.ts';
import { BENCH_FUNCTIONS } from './lib/functions.ts';
import { currentLoad, describeMachine } from './lib/machine.ts';
import {
  deployedEnv,
  directDeleteServer,
  fastifyHello,
  floor,
  functionEnv,
  plainNodeAlertServer,
  shipped,
  shippedWithoutCache,
  unbundled,
  withBudget,
} from './lib/targets.ts';
import { buildRows, evidenceRows, markdownTable, writeResults, type ReportInput } from './report.ts';
import { measureEvidence, type EvidencePlan } from './sections/evidence.ts';
import { measureBundleSizes } from './sections/bundle-size.ts';
import { measureColdStarts } from './sections/cold-start.ts';
import { measureIdleMemory } from './sections/memory.ts';
import { measureRemediation } from './sections/remediation.ts';
import { probeSnapshot } from './sections/snapshot-probe.ts';
import { measureThroughput } from './sections/throughput.ts';
import { measurePressure } from './sections/pressure.ts';
import { MANIFEST_MEMORY_LIMIT_MIB, memoryLimitHow } from './lib/memory-limit.ts';

export interface BenchOptions {
  coldRounds: number;
  loadRounds: number;
  loadSeconds: number;
  connections: number;
  pods: number;
  /** Pods per EVIDENCE setting in the evidence capture section. */
  evidencePods: number;
  /** Write bench/RESULTS.md (off for trial runs). */
  write: boolean;
}

const OFFLINE_KUBECONFIG = '/nonexistent/kubeconfig';
const EVIDENCE_LOG_LINES = 200;

function evidencePlan(builds: Awaited<ReturnType<typeof buildAll>>, pods: number): EvidencePlan {
  return {
    pods,
    warmupPods: 6,
    logLines: EVIDENCE_LOG_LINES,
    deletePod: (kubeconfig, mode) => shipped(builds, 'delete-pod', { ...functionEnv(kubeconfig), EVIDENCE: mode }),
  };
}

/** `node bench/run.mjs --only evidence`: the evidence capture section alone, printed, nothing written. */
export async function runEvidenceOnly(options: Pick<BenchOptions, 'evidencePods'>): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  const machine = describeMachine();
  progress('building the delete-pod bundle');
  const builds = await buildAll(['delete-pod']);
  const samples = await measureEvidence(evidencePlan(builds, options.evidencePods), progress);
  console.log(
    `${machine.date}, ${machine.cores} cores, load at start ${machine.loadAtStart.join(', ')}, at end ${currentLoad().join(', ')}\n`,
  );
  console.log(markdownTable(evidenceRows({ samples, pods: options.evidencePods, logLines: EVIDENCE_LOG_LINES })));
}
/** Long enough for V8's memory reducer, which runs after ~8 s without work. */
const SETTLED_MS = 12_000;
/** The storm after the load (memory under pressure): acting alerts on as many fresh pods, so many in flight at once. */
const STORM_ALERTS = 300;
const STORM_CONCURRENCY = 50;
/** How soon after load and storm an instance must be back near the floor's idle. */
const PRESSURE_SETTLE_MS = 30_000;

export async function runBench(options: BenchOptions): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  const machine = describeMachine();
  const functions = BENCH_FUNCTIONS;
  const deletePod = functions.find((fn) => fn.name === 'delete-pod')!;
  let repeats = 0;

  progress('building bundles and references');
  const builds = await buildAll(functions.map((fn) => fn.name));
  progress('probing a V8 startup snapshot of delete-pod');
  const snapshot = await probeSnapshot(join(benchCache, 'snapshot'));
  progress('starting kube-apiserver + etcd');
  const cluster = await startBenchCluster(functions);
  const env = (fn: string) => functionEnv(cluster.kubeconfigPath(fn));
  const coldVariants = [
    { name: 'shipped', label: 'as shipped (start.cjs + V8 code caches)', launchable: (fn: string) => shipped(builds, fn, env(fn)) },
    {
      name: 'no-cache',
      label: 'as shipped without its caches (normal compile)',
      launchable: (fn: string) => shippedWithoutCache(builds, fn, env(fn)),
    },
    { name: 'unbundled', label: 'unbundled (node functions/…/index.ts)', launchable: (fn: string) => unbundled(fn, env(fn)) },
  ];
  let input: ReportInput;
  try {
    const cold = await measureColdStarts(
      {
        rounds: options.coldRounds,
        references: [
          { name: 'floor', launchable: floor },
          { name: 'fastify-hello', launchable: fastifyHello(builds) },
        ],
        // The floor of an acting function: Node, client-node and the four calls, nothing else.
        actingReferences: [{ name: 'direct-delete-server', launchable: directDeleteServer(builds, cluster.kubeconfigPath('delete-pod')) }],
        functions,
        variants: coldVariants,
        cluster,
      },
      progress,
    );
    const memory = await measureIdleMemory(
      {
        rounds: options.loadRounds,
        targets: [
          { key: 'floor', launchable: floor },
          { key: 'fastify-hello', launchable: fastifyHello(builds) },
          ...functions.flatMap((fn) =>
            coldVariants
              .filter((v) => v.name !== 'unbundled')
              .map((v) => ({ key: `${fn.name}/${v.name}`, launchable: v.launchable(fn.name) })),
          ),
        ],
        settledAfterMs: SETTLED_MS,
      },
      progress,
    );
    const deletePodAsDeployed = deployedEnv(deletePod.spec, env('delete-pod'));
    const deletePodShipped = shipped(builds, 'delete-pod', deletePodAsDeployed);
    // As the cluster runs it: under the manifests' memory limit (lib/memory-limit.ts).
    const deletePodLimited = { ...deletePodShipped, memoryLimitMiB: MANIFEST_MEMORY_LIMIT_MIB };
    const repeatedAlert = async () =>
      actingAlert(cluster.namespace, await deletePod.createTarget(cluster.api, cluster.namespace, `repeat-${++repeats}`));
    const load = await measureThroughput(
      {
        rounds: options.loadRounds,
        targets: [
          { key: 'floor', launchable: floor, body: unselectedAlert },
          { key: 'fastify-hello', launchable: fastifyHello(builds), body: unselectedAlert },
          // What fastify costs, and what is left without it: delete-pod's own parts in a bare Node handler.
          { key: 'plain-node-alert-server', launchable: plainNodeAlertServer(builds, deletePodAsDeployed), body: unselectedAlert },
          ...functions.flatMap((fn) => [
            {
              key: `${fn.name}/filtered`,
              launchable: shipped(builds, fn.name, deployedEnv(fn.spec, env(fn.name))),
              body: unselectedAlert,
              accounted: true,
            },
            {
              key: `${fn.name}/dry-run`,
              launchable: shipped(builds, fn.name, functionEnv(OFFLINE_KUBECONFIG)),
              body: dryRunBody,
              accounted: true,
            },
          ]),
          // Same code once warm; measured for one function to show the code cache costs nothing later.
          {
            key: 'delete-pod/no-cache/filtered',
            launchable: shippedWithoutCache(builds, 'delete-pod', deletePodAsDeployed),
            body: unselectedAlert,
            accounted: true,
          },
          // The aggregate's share: one log line per alert a function is not configured for (UNSELECTED_LOG=each).
          {
            key: 'delete-pod/each/filtered',
            launchable: shipped(builds, 'delete-pod', { ...deletePodAsDeployed, UNSELECTED_LOG: 'each' }),
            body: unselectedAlert,
            accounted: true,
          },
          // A storm on one pod: the first alert deletes it, every repeat is answered from the dedupe memory.
          { key: 'delete-pod/storm-repeat', launchable: deletePodShipped, body: repeatedAlert, firstOutcome: 'acted', accounted: true },
          // The filtered and storm-repeat loads again under the manifests' memory limit.
          { key: 'delete-pod/limited/filtered', launchable: deletePodLimited, body: unselectedAlert, accounted: true },
          {
            key: 'delete-pod/limited/storm-repeat',
            launchable: deletePodLimited,
            body: repeatedAlert,
            firstOutcome: 'acted',
            accounted: true,
          },
        ],
        connections: options.connections,
        warmupSeconds: 0.5,
        seconds: options.loadSeconds,
      },
      progress,
    );
    const pressure = await measurePressure(
      {
        rounds: options.loadRounds,
        targets: [
          { key: 'floor', launchable: floor, acts: false },
          { key: 'fastify-hello', launchable: fastifyHello(builds), acts: false },
          { key: 'delete-pod', launchable: deletePodShipped, acts: true },
          { key: 'delete-pod/limited', launchable: deletePodLimited, acts: true },
        ],
        connections: options.connections,
        seconds: options.loadSeconds,
        stormAlerts: STORM_ALERTS,
        stormConcurrency: STORM_CONCURRENCY,
        settleMs: PRESSURE_SETTLE_MS,
        cluster,
      },
      progress,
    );
    const remediation = await measureRemediation(
      {
        pods: options.pods,
        warmupPods: 10,
        cluster,
        deletePod: shipped(builds, 'delete-pod', env('delete-pod')),
        deletePodWithBudget: shipped(builds, 'delete-pod', withBudget(env('delete-pod'))),
        directOverHttp: directDeleteServer(builds, cluster.kubeconfigPath('delete-pod')),
      },
      progress,
    );
    const evidence = {
      samples: await measureEvidence(evidencePlan(builds, options.evidencePods), progress),
      pods: options.evidencePods,
      logLines: EVIDENCE_LOG_LINES,
    };
    input = {
      machine,
      loadAtEnd: currentLoad(),
      settings: {
        coldRounds: options.coldRounds,
        loadRounds: options.loadRounds,
        loadSeconds: options.loadSeconds,
        connections: options.connections,
        pods: options.pods,
        settledSeconds: SETTLED_MS / 1000,
        stormAlerts: STORM_ALERTS,
        stormConcurrency: STORM_CONCURRENCY,
        pressureSettleSeconds: PRESSURE_SETTLE_MS / 1000,
        memoryLimit: memoryLimitHow(MANIFEST_MEMORY_LIMIT_MIB),
      },
      functions: functions.map((fn) => fn.name),
      coldVariants,
      cold,
      memory,
      load,
      pressure,
      remediation,
      evidence,
      sizes: measureBundleSizes(builds, functions),
      notes: [
        `Cold start (b) includes the API server's own time: the same four calls issued directly on a kept-alive connection take p50 ${remediation.percentile('direct-kept', 50).toFixed(0)} ms here, ${remediation.percentile('direct', 50).toFixed(0)} ms as client-node comes (a new TLS connection per call; the function keeps one)`,
        `Dry-run throughput uses offline mode (KUBECONFIG=${OFFLINE_KUBECONFIG}: decision 'dry-run no-cluster', no API call)`,
        `V8 startup snapshot of delete-pod (node --build-snapshot): ${snapshot.built ? snapshot.detail : `not buildable with this Node: ${snapshot.detail}`}`,
      ],
    };
  } finally {
    await cluster.stop();
  }
  const rows = buildRows(input);
  console.log(markdownTable(rows));
  if (options.write) {
    writeResults(join(repoRoot, 'bench', 'RESULTS.md'), input, rows);
    progress('wrote bench/RESULTS.md');
  }
  progress('done');
}
