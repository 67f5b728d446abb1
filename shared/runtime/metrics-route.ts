// GET /metrics for Prometheus; with METRICS_AUTH=token only for callers with the token.
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { headerTokenVerdict } from './auth-plugin.ts';
import type { FunctionMetrics } from './metrics.ts';
import { rootPlugin } from './plugin.ts';

type MetricsSettings = Pick<RuntimeConfig, 'metricsAuth' | 'authToken' | 'authHeader' | 'authExtension'>;

interface MetricsRouteOptions {
  metrics: FunctionMetrics;
  config: MetricsSettings;
}

export const metricsRoute = rootPlugin<MetricsRouteOptions>('falco-response-metrics', (app, { metrics, config }, done) => {
  const expected = config.metricsAuth === 'token' ? config.authToken : undefined;
  const settings = expected === undefined ? undefined : { ...config, authToken: expected };
  app.get('/metrics', async (request, reply) => {
    if (settings && headerTokenVerdict(request, settings, false) !== 'ok') {
      const message = 'METRICS_AUTH=token: present the token (Authorization: Bearer)';
      return reply.code(401).send({ outcome: 'error', reason: 'unauthorized', message });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  done();
});
