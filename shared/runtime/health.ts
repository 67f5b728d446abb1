// Liveness and readiness, under Kubernetes' and OpenFaaS's (/_/) paths.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rootPlugin } from './plugin.ts';

export const healthPlugin = rootPlugin('falco-response-health', (app, _options, done) => {
  const healthy = async () => ({ status: 'ok' });
  const ready = async (_request: FastifyRequest, reply: FastifyReply) =>
    app.closing ? reply.code(503).send({ status: 'shutting down' }) : { status: 'ready' };
  app.get('/healthz', healthy);
  app.get('/_/health', healthy);
  app.get('/readyz', ready);
  app.get('/_/ready', ready);
  done();
});
