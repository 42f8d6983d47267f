/** `/metrics` and `/health` on METRICS_PORT, for a collect-only process. */

import Fastify, { type FastifyInstance } from 'fastify';
import type { Collector } from '../collector/collector.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/store.js';
import { healthReport } from './health.js';

export async function startMetricsServer(opts: {
  host: string;
  port: number;
  metrics: Metrics;
  store: Store;
  collector: Collector;
}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.type(opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  app.get('/health', async (_req, reply) => {
    const h = await healthReport(opts.store, opts.collector);
    reply.code(h.status === 'down' ? 503 : 200);
    return h;
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  await app.listen({ host: opts.host, port: opts.port });
  return app;
}
