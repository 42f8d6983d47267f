/** `GET /health`, `GET /metrics` (both open without a token) and `GET /docs` (OpenAPI 3). */

import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { healthReport } from '../health.js';
import { ERROR_RESPONSES, HealthResponse } from '../schemas.js';

/** Routes with `config: PUBLIC` need no bearer token. */
export const PUBLIC = { public: true } as const;

export function systemRoutes(ctx: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(
      '/health',
      {
        config: PUBLIC,
        schema: {
          summary: 'Service health',
          description:
            'ok, degraded (a collector is disconnected or silent) or down (the store does not answer; HTTP 503). Needs no token.',
          tags: ['system'],
          security: [],
          response: {
            200: HealthResponse,
            503: { ...HealthResponse, description: 'the store does not answer' },
          },
        },
      },
      async (_req, reply) => {
        const report = await healthReport(ctx.store, ctx.collector);
        if (report.status === 'down') reply.code(503);
        return report;
      },
    );

    app.get(
      '/metrics',
      {
        config: PUBLIC,
        schema: {
          summary: 'Prometheus metrics',
          description: 'Prometheus text exposition format. Needs no token.',
          tags: ['system'],
          security: [],
          produces: ['text/plain'],
          response: {
            200: { type: 'string', description: 'Prometheus text exposition (version 0.0.4)' },
          },
        },
      },
      async (_req, reply) => {
        const text = await ctx.metrics.registry.metrics();
        reply.type(ctx.metrics.registry.contentType);
        return text;
      },
    );

    app.get(
      '/docs',
      {
        schema: {
          summary: 'OpenAPI 3 description of every route',
          tags: ['system'],
          response: {
            200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3 document' },
            401: ERROR_RESPONSES[401],
          },
        },
      },
      async () => app.swagger(),
    );
  };
}
