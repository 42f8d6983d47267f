/**
 * The HTTP API (CONTRACT.md section 5): fastify with every route's schemas declared once
 * (TypeBox) for validation, fast serialisation and the OpenAPI document at /docs.
 */

import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { HistoryReader } from '../archive/history.js';
import type { Collector } from '../collector/collector.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/store.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import type { ApiContext } from './context.js';
import {
  BODY_LIMIT,
  clientErrorHandler,
  frameworkErrorHandler,
  type HttpMetrics,
  installHttpBehaviour,
} from './http.js';
import { KnownSymbols } from './input.js';
import { LatestTrades } from './latest-trades.js';
import { bookRoutes } from './routes/books.js';
import { type LiveOptions, liveRoutes } from './routes/live.js';
import { marketRoutes } from './routes/markets.js';
import { ohlcvRoutes } from './routes/ohlcv.js';
import { systemRoutes } from './routes/system.js';
import { tradeRoutes } from './routes/trades.js';
import { ApiErrorSchema } from './schemas.js';
import { StoreReader } from './store-reader.js';

export interface ApiServerOptions {
  config: Config;
  store: Store;
  metrics: Metrics;
  log: Logger;
  collector?: Collector | undefined;
  /** PostgreSQL history: answers ranges older than the Redis retention. */
  history?: HistoryReader | undefined;
  /** `/stream` tuning and hooks (tests). */
  live?: LiveOptions | undefined;
}

const SLASH_SYMBOL_RE =
  /^\/(trades|ohlcv|orderbook|spread)\/([A-Za-z0-9]{1,12})\/([A-Za-z0-9]{1,12})(?=[/?]|$)/;
const NOT_A_QUOTE = new Set(['recent', 'consolidated']);

/**
 * `/trades/BTC/USD` (a `BTC/USD` symbol put in a URL unencoded, as clients built with
 * string formatting do) becomes `/trades/BTC%2FUSD`, so every spelling of a symbol works.
 */
export function slashSymbolToParam(url: string): string {
  const m = SLASH_SYMBOL_RE.exec(url);
  if (!m || NOT_A_QUOTE.has(m[3]!.toLowerCase())) return url;
  return `/${m[1]}/${m[2]}%2F${m[3]}${url.slice(m[0].length)}`;
}

/** Builds the API (routes registered, not listening). */
export async function buildApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const { config, store, metrics } = opts;
  const log = opts.log.child({ component: 'api' });
  const reader = new StoreReader(store, opts.history);
  const ctx: ApiContext = {
    config,
    store,
    reader,
    known: new KnownSymbols(reader),
    latest: new LatestTrades(reader),
    metrics,
    log,
    collector: opts.collector,
  };

  let httpMetrics: HttpMetrics | undefined;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 100 },
    frameworkErrors: frameworkErrorHandler(() => httpMetrics, log),
    clientErrorHandler: clientErrorHandler(() => httpMetrics, log),
    rewriteUrl: (req) => slashSymbolToParam(req.url ?? '/'),
  });

  httpMetrics = installHttpBehaviour(app, {
    metrics,
    log,
    token: config.API_TOKEN,
    cors: config.CORS_ORIGINS !== undefined,
  });

  if (config.CORS_ORIGINS !== undefined) {
    const origins = config.CORS_ORIGINS;
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    });
  }

  app.addSchema(ApiErrorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AlphaPulse market data API',
        version: VERSION,
        description: `${SERVICE_NAME}: Coinbase and Kraken trades, OHLCV bars and order books. Errors are {"error": "<code>", "message": "<text>"}. Times are epoch seconds (float, µs precision) unless noted. Also served: GET / (the live dashboard page) and GET /stream (a WebSocket of live trades and books), described in docs/dashboard.md.`,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server sets one' },
        },
      },
      ...(config.API_TOKEN !== undefined ? { security: [{ bearer: [] }] } : {}),
      tags: [
        { name: 'trades' },
        { name: 'ohlcv' },
        { name: 'markets' },
        { name: 'books' },
        { name: 'system' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });

  // ---- data routes ----
  await app.register(systemRoutes(ctx));
  await app.register(tradeRoutes(ctx));
  await app.register(ohlcvRoutes(ctx));
  await app.register(marketRoutes(ctx));
  await app.register(bookRoutes(ctx));

  // ---- live routes: GET / (dashboard) and GET /stream (WebSocket) ----
  await app.register(liveRoutes(ctx, opts.live));

  return app;
}

/** Builds the API and listens on API_HOST:API_PORT. */
export async function startApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = await buildApiServer(opts);
  await app.listen({ host: opts.config.API_HOST, port: opts.config.API_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.config.API_PORT;
  opts.log.info(
    {
      url: `http://${opts.config.API_HOST.includes(':') ? `[${opts.config.API_HOST}]` : opts.config.API_HOST}:${port}`,
      auth: opts.config.API_TOKEN !== undefined,
      cors: opts.config.CORS_ORIGINS ?? 'same origin only',
      store: opts.store.kind,
    },
    'API listening',
  );
  return app;
}
