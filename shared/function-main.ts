// Everything a function's entry point does: read and check configuration, then assemble the
// Kubernetes client (loaded on the first alert that needs it, so filtered alerts and health
// probes never pay for it), the observer of decisions, the pipeline and the server.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { FalcoAlert } from './alert/falco-alert.ts';
import { ConfigError, type Env } from './config/env-reader.ts';
import { readFunctionConfig, type FunctionConfig } from './function-config.ts';
import { controllerOf } from './k8s/keys.ts';
import { loadKubeConfig } from './k8s/kube-config.ts';
import { KubeClient } from './k8s/kube-client.ts';
import { loadClient } from './k8s/load-client.ts';
import { allOf, type DecisionObserver } from './respond/decision-observer.ts';
import { createPipeline, type Pipeline } from './respond/pipeline.ts';
import type { ResponseFunctionSpec } from './respond/function-spec.ts';
import { listenAndServe } from './runtime/lifecycle.ts';
import { InFlight } from './runtime/limits.ts';
import { boundedStdout } from './runtime/log-destination.ts';
import { createLogger } from './runtime/logger.ts';
import { FunctionMetrics } from './runtime/metrics.ts';
import { metricsRoute } from './runtime/metrics-route.ts';
import { logObserver, metricsObserver } from './runtime/observers.ts';
import { runOnce } from './runtime/one-shot.ts';
import { createFunctionServer } from './runtime/server.ts';

export interface BuiltFunction {
  app: FastifyInstance;
  pipeline: Pipeline;
  metrics: FunctionMetrics;
  /** Hears of each decision and refusal: the decision log line and the metrics. */
  observer: DecisionObserver;
}

export interface BuildOptions {
  /** Where credentials come from; default: in-cluster, else KUBECONFIG. Tests pass a ServiceAccount's. */
  loadKubeConfig?: (module: typeof import('@kubernetes/client-node')) => import('@kubernetes/client-node').KubeConfig;
}

function kubeClientLoader(spec: ResponseFunctionSpec, config: FunctionConfig, metrics: FunctionMetrics, options: BuildOptions) {
  let client: Promise<KubeClient> | undefined;
  return () =>
    (client ??= loadClient().then((module) => {
      const kubeConfig = options.loadKubeConfig ? options.loadKubeConfig(module) : loadKubeConfig(module);
      return new KubeClient(module, kubeConfig, {
        timeoutMs: config.kube.timeoutMs,
        retry: { attempts: config.kube.retries, baseDelayMs: 100, maxDelayMs: 2000 },
        onCall: (operation, ms, outcome) => metrics.recordKubeCall(operation, ms, outcome),
        controller: controllerOf(spec.name),
        instance: hostname(),
      });
    }));
}

export function buildFunction(unconfigured: ResponseFunctionSpec, config: FunctionConfig, options: BuildOptions = {}): BuiltFunction {
  const spec = config.spec?.name === unconfigured.name ? config.spec : unconfigured;
  const { runtime } = config;
  const metrics = new FunctionMetrics(spec.name);
  const counted = metricsObserver(metrics);
  const stdout = runtime.logLevel === 'silent' ? undefined : boundedStdout(runtime.logBufferBytes, () => counted.logLineDropped());
  const logger = createLogger(spec.name, runtime, stdout);
  const decisionLog = logObserver(logger, runtime);
  const observer = allOf(decisionLog, counted);
  const kube = kubeClientLoader(spec, config, metrics, options);
  const pipeline = createPipeline(spec, config.pipeline, kube, { offline: config.offline, observer, evidence: config.evidence });
  metrics.watchDedupe(pipeline.recent);
  const inFlight = new InFlight(runtime.maxInFlight);
  metrics.watchInFlight(inFlight);
  const handle = (alert: FalcoAlert) => pipeline.respond(alert);
  const app = createFunctionServer({ name: spec.name, config: runtime, logger, observer, inFlight, handle });
  app.register(metricsRoute, { metrics, config: runtime });
  app.addHook('onClose', (_app, done) => {
    decisionLog.close();
    done();
  });
  return { app, pipeline, metrics, observer };
}

/** The entry point of every function: exits 1 with a clear message on bad configuration. */
export async function runFunction(
  spec: ResponseFunctionSpec,
  env: Env = process.env,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  let config: FunctionConfig;
  try {
    config = readFunctionConfig(env, false, spec);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${spec.name}: ${error.message}\n`);
    process.exit(1);
  }
  if (argv.includes('--once')) {
    const silent = { ...config, runtime: { ...config.runtime, logLevel: 'silent' as const } };
    process.exitCode = await runOnce(spec.name, env.BODY, () => {
      const { pipeline } = buildFunction(spec, silent);
      return (alert) => pipeline.respond(alert);
    });
    return;
  }
  const { app } = buildFunction(spec, config);
  await listenAndServe(app, config.runtime);
  app.log.info(
    {
      dryRun: config.pipeline.dryRun,
      offline: config.offline,
      authentication: config.runtime.authToken ? 'token' : 'off',
      rules: config.pipeline.rules.map((r) => r.source),
      minPriority: config.pipeline.minPriority,
      protectedNamespaces: config.pipeline.protectedNamespaces.map((p) => p.source),
      ownNamespace: config.pipeline.ownNamespace,
      evidence:
        config.evidence.mode === 'off'
          ? 'off'
          : `${config.evidence.mode}, Secrets in ${config.evidence.namespace}, at most ${config.evidence.timeoutMs} ms before the action`,
      budget: config.pipeline.budget
        ? `${config.pipeline.budget.maxActions} actions per ${config.pipeline.budget.windowSeconds} s, Lease ${config.pipeline.budget.namespace}/${config.pipeline.budget.lease}`
        : 'off',
      clusterGuard:
        config.pipeline.clusterName === undefined
          ? 'off'
          : `acts only on alerts with output_fields[${JSON.stringify(config.pipeline.clusterField)}] = ${JSON.stringify(config.pipeline.clusterName)}${config.pipeline.allowAlertsWithoutCluster ? ' (or none)' : ''}`,
    },
    config.offline ? 'ready (no cluster credentials: dry-run only)' : 'ready',
  );
}
