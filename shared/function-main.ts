// Everything a function's entry point does: read and check configuration, build the
// pipeline around its spec, serve it. The Kubernetes client is loaded on the first alert
// that needs it, so filtered alerts (and health probes) never pay for it.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { AlertRejection, parseAlertRequest } from './alert/parse-request.ts';
import { ConfigError, type Env } from './config/env-reader.ts';
import type { RuntimeConfig } from './config/runtime-config.ts';
import { readFunctionConfig, type FunctionConfig } from './function-config.ts';
import { loadKubeConfig } from './k8s/kube-config.ts';
import { KubeClient } from './k8s/kube-client.ts';
import { controllerOf } from './k8s/keys.ts';
import { loadClient } from './k8s/load-client.ts';
import { createPipeline, type Pipeline } from './respond/pipeline.ts';
import type { ResponseFunctionSpec } from './respond/function-spec.ts';
import { listenAndServe } from './runtime/lifecycle.ts';
import { presentedHeaderToken, tokensMatch } from './runtime/auth.ts';
import { boundedStdout } from './runtime/log-destination.ts';
import { FunctionMetrics } from './runtime/metrics.ts';
import { createFunctionServer } from './runtime/server.ts';

export interface BuiltFunction {
  app: FastifyInstance;
  pipeline: Pipeline;
  metrics: FunctionMetrics;
}

export interface BuildOptions {
  /** Where credentials come from; default: in-cluster, else KUBECONFIG. Tests pass a ServiceAccount's. */
  loadKubeConfig?: (module: typeof import('@kubernetes/client-node')) => import('@kubernetes/client-node').KubeConfig;
}

export function buildFunction(unconfigured: ResponseFunctionSpec, config: FunctionConfig, options: BuildOptions = {}): BuiltFunction {
  const spec = config.spec?.name === unconfigured.name ? config.spec : unconfigured;
  const metrics = new FunctionMetrics(spec.name);
  let client: Promise<KubeClient> | undefined;
  const kube = () =>
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
  let app: FastifyInstance | undefined;
  const pipeline = createPipeline(spec, config.pipeline, kube, {
    offline: config.offline,
    onLimitReached: () => {
      metrics.recordLimitReached();
      app?.log.error({ limit: config.pipeline.maxActionsPerWindow, windowSeconds: config.pipeline.actionWindowSeconds }, 'BLAST-RADIUS LIMIT REACHED: further actions are dry-runs until the window passes');
    },
    onBudgetRefused: (reason, message) => {
      metrics.recordBudgetRefusal(reason);
      if (reason === 'budget-unavailable') app?.log.error({ reason }, `ACTION BUDGET UNAVAILABLE: ${message}`);
      else app?.log.error({ reason }, `ACTION BUDGET USED UP: ${message}`);
    },
    onEventFailed: (error) => {
      metrics.recordEventFailure();
      app?.log.warn({ err: error }, 'could not record the Kubernetes Event');
    },
  });
  metrics.watchDedupe(pipeline.recent);
  app = createFunctionServer({
    logStream: config.runtime.logLevel === 'silent' ? undefined : boundedStdout(config.runtime.logBufferBytes, () => metrics.recordLogLineDropped()),
    name: spec.name,
    config: config.runtime,
    cloudEventReplies: config.runtime.cloudEventReplies,
    handle: async (alert) => {
      metrics.inFlight.inc();
      try {
        return await pipeline.respond(alert);
      } finally {
        metrics.inFlight.dec();
      }
    },
    onDecision: (decision, alert, ms) => metrics.recordDecision(decision, alert, ms),
    onRejected: (status) => metrics.recordRejected(status),
    extraRoutes: (server) => {
      server.get('/metrics', async (request, reply) => {
        if (!metricsReadableBy(request.headers, config.runtime)) return reply.code(401).send({ outcome: 'error', reason: 'unauthorized', message: 'METRICS_AUTH=token: present the token (Authorization: Bearer)' });
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      });
    },
  });
  return { app, pipeline, metrics };
}

function metricsReadableBy(headers: Record<string, string | string[] | undefined>, runtime: RuntimeConfig): boolean {
  if (runtime.metricsAuth === 'open' || runtime.authToken === undefined) return true;
  const presented = presentedHeaderToken({ authorization: headers.authorization as string | undefined, customHeader: headers[runtime.authHeader] as string | undefined });
  return presented !== undefined && tokensMatch(presented, runtime.authToken);
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One-shot mode for pipeline engines (Argo Workflows, Tekton) that run a container per
 * alert: the alert comes from $BODY (or stdin), the decision is printed as JSON, and the
 * exit code says how it went: 0 acted/skipped/dry-run, 1 failed, 2 not a usable alert.
 */
export async function runOnce(spec: ResponseFunctionSpec, config: FunctionConfig, env: Env): Promise<number> {
  const body = env.BODY ?? (await readStdin());
  const contentType = body.trimStart().startsWith('{') && /"specversion"\s*:/.test(body) ? 'application/cloudevents+json' : 'application/json';
  let alert;
  try {
    alert = parseAlertRequest({ headers: { 'content-type': contentType }, body }).alert;
  } catch (error) {
    if (!(error instanceof AlertRejection)) throw error;
    process.stdout.write(`${JSON.stringify({ function: spec.name, outcome: 'error', reason: 'bad-request', field: error.field, message: error.reason })}\n`);
    return 2;
  }
  const { pipeline } = buildFunction(spec, { ...config, runtime: { ...config.runtime, logLevel: 'silent' } });
  const { retryable: _retryable, ...decision } = await pipeline.respond(alert);
  process.stdout.write(`${JSON.stringify({ function: spec.name, ...decision, alert: { uuid: alert.uuid, rule: alert.rule, priority: alert.priority, time: alert.timeText } })}\n`);
  return decision.outcome === 'error' ? 1 : 0;
}

/** The entry point of every function: exits 1 with a clear message on bad configuration. */
export async function runFunction(spec: ResponseFunctionSpec, env: Env = process.env, argv: string[] = process.argv.slice(2)): Promise<void> {
  let config: FunctionConfig;
  try {
    config = readFunctionConfig(env, false, spec);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${spec.name}: ${error.message}\n`);
    process.exit(1);
  }
  if (argv.includes('--once')) {
    process.exitCode = await runOnce(spec, config, env);
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
      budget: config.pipeline.budget ? `${config.pipeline.budget.maxActions} actions per ${config.pipeline.budget.windowSeconds} s, Lease ${config.pipeline.budget.namespace}/${config.pipeline.budget.lease}` : 'off',
      clusterGuard: config.pipeline.clusterName === undefined ? 'off' : `acts only on alerts with output_fields[${JSON.stringify(config.pipeline.clusterField)}] = ${JSON.stringify(config.pipeline.clusterName)}${config.pipeline.allowAlertsWithoutCluster ? ' (or none)' : ''}`,
    },
    config.offline ? 'ready (no cluster credentials: dry-run only)' : 'ready',
  );
}
