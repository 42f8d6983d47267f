/**
 * The live part of the API (CONTRACT.md section 5):
 *
 *   GET /                 the dashboard page (candles, trades, book, collector health)
 *   GET /assets/{file}    its script, style and the lightweight-charts bundle (static, no data)
 *   GET /stream           WebSocket of live trades/books (see src/api/stream/ and
 *                         docs/dashboard.md); a plain GET answers 426 Upgrade Required
 *
 * With API_TOKEN set, the page takes the token as `Authorization: Bearer` or as `?token=`
 * (a browser cannot send a header when it opens a page); the page's script then sends it
 * with every request. The assets hold no data and are public.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { type Asset, DASHBOARD_CSP, type DashboardAssets, loadDashboardAssets } from '../dashboard/assets.js';
import { bearerChecker } from '../http.js';
import { ERROR_RESPONSES } from '../schemas.js';
import { attachStream, STREAM_PATH, type StreamEndpoint, type StreamOptions } from '../stream/websocket.js';
import { PUBLIC } from './system.js';

export interface LiveOptions {
  stream?: StreamOptions;
  /** Receives the `/stream` endpoint (tests look at its hub). */
  onStream?: (endpoint: StreamEndpoint) => void;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function serve(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply.headers({ ...SECURITY_HEADERS, etag: a.etag, 'cache-control': a.cacheControl });
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

export function liveRoutes(ctx: ApiContext, options: LiveOptions = {}) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const endpoint = attachStream(app, ctx, options.stream);
    options.onStream?.(endpoint);

    let assets: DashboardAssets | undefined;
    try {
      assets = loadDashboardAssets();
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'dashboard files missing: GET / answers 503');
    }

    const token = ctx.config.API_TOKEN;
    const check = token !== undefined ? bearerChecker(token) : undefined;

    app.get(
      '/',
      {
        // The token is checked here: it may come as ?token= (see above).
        config: PUBLIC,
        schema: { hide: true },
      },
      async (req, reply) => {
        if (check !== undefined) {
          const q = (req.query as { token?: unknown } | undefined)?.token;
          if (!check(req.headers.authorization) && !(typeof q === 'string' && check(`Bearer ${q}`))) {
            ctx.log.info({ ip: req.ip }, 'dashboard refused: missing or wrong token');
            return reply.code(401).header('www-authenticate', 'Bearer realm="alphapulse"').send({
              error: 'unauthorized',
              message: 'missing or invalid token: open the dashboard as /?token=<API_TOKEN>',
            });
          }
        }
        if (!assets) {
          return reply.code(503).send({
            error: 'dashboard_unavailable',
            message: 'the dashboard files are missing from this installation (run npm run build)',
          });
        }
        reply.header('content-security-policy', DASHBOARD_CSP);
        return serve(req, reply, assets.page);
      },
    );

    app.get('/assets/:file', { config: PUBLIC, schema: { hide: true } }, async (req, reply) => {
      const a = assets?.files.get((req.params as { file: string }).file);
      if (!a) {
        return reply.code(404).send({ error: 'not_found', message: 'no such asset' });
      }
      return serve(req, reply, a);
    });

    app.get(
      STREAM_PATH,
      {
        schema: {
          hide: true,
          response: {
            401: ERROR_RESPONSES[401],
            426: { ...ERROR_RESPONSES[401], description: 'not a WebSocket upgrade' },
          },
        },
      },
      async (_req, reply) =>
        reply
          .code(426)
          .header('upgrade', 'websocket')
          .header('connection', 'Upgrade')
          .send({
            error: 'upgrade_required',
            message: `${STREAM_PATH} is a WebSocket: connect with ws://<host>${STREAM_PATH} (see docs/dashboard.md)`,
          }),
    );
  };
}
