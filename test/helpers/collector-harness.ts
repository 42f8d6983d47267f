/** In-process simulators + collector + store, for collector integration tests. */

import { Collector } from '../../src/collector/collector.js';
import { loadConfig } from '../../src/core/config.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import type { Exchange } from '../../src/core/types.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { type FaultOptions, type RunningSimulators, startSimulators } from '../../src/sim/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store, StoredTrade } from '../../src/store/store.js';
import { waitFor } from './process.js';
import { freshRedisUrl } from './redis.js';

export type StoreKind = 'redis' | 'embedded';

export interface Harness {
  sim: RunningSimulators;
  store: Store;
  metrics: Metrics;
  collector: Collector;
  env: Record<string, string>;
  startCollector(): Promise<Collector>;
  stop(): Promise<void>;
}

export async function startHarness(opts: {
  store: StoreKind;
  db: number;
  exchanges?: Exchange[];
  symbols?: string[];
  rate?: number;
  bookRate?: number;
  faults?: FaultOptions;
  seed?: number;
  env?: Record<string, string>;
  /** Simulator and collector negotiate permessage-deflate (default false). */
  compression?: boolean;
  /** The collector's logger (default silent). */
  log?: Logger;
}): Promise<Harness> {
  const exchanges = opts.exchanges ?? ['coinbase', 'kraken'];
  const symbols = opts.symbols ?? ['BTC-USD', 'ETH-USD'];
  const sim = await startSimulators({
    exchanges,
    symbols,
    ratePerSymbol: opts.rate ?? 100,
    seed: opts.seed ?? 7,
    ports: { coinbase: 0, kraken: 0 },
    bookRate: opts.bookRate ?? 0,
    faults: opts.faults ?? {},
    compression: opts.compression ?? false,
  });
  const env: Record<string, string> = {
    EXCHANGES: exchanges.join(','),
    SYMBOLS: symbols.join(','),
    BOOK_DEPTH: '10',
    STALE_TIMEOUT_MS: '5000',
    COINBASE_REST_RPS: '200',
    KRAKEN_REST_RPS: '200',
    WS_COMPRESSION: opts.compression ? 'true' : 'false',
    ...(sim.urls.coinbase
      ? { COINBASE_WS_URL: sim.urls.coinbase.ws, COINBASE_REST_URL: sim.urls.coinbase.rest }
      : {}),
    ...(sim.urls.kraken ? { KRAKEN_WS_URL: sim.urls.kraken.ws, KRAKEN_REST_URL: sim.urls.kraken.rest } : {}),
    ...opts.env,
  };
  let store: Store;
  if (opts.store === 'redis') {
    env.REDIS_URL = await freshRedisUrl(opts.db);
    store = new RedisStore({
      url: env.REDIS_URL,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    });
  } else store = new EmbeddedStore({ maxTradesPerMarket: 1_000_000 });
  await store.connect();
  const metrics = createMetrics();
  const config = loadConfig({ env });
  const h: Harness = {
    sim,
    store,
    metrics,
    env,
    collector: undefined as unknown as Collector,
    async startCollector() {
      const c = new Collector({ config, store, metrics, log: opts.log ?? silentLogger });
      await c.start();
      h.collector = c;
      return c;
    },
    async stop() {
      await h.collector?.stop();
      await sim.close();
      await store.close();
    },
  };
  await h.startCollector();
  return h;
}

/** Waits until the store holds every trade the simulator made for each market. */
export async function waitForAllStored(h: Harness, timeoutMs = 30_000): Promise<void> {
  const truth = h.sim.truth();
  await waitFor(
    'all trades stored',
    async () => {
      for (const [ex, markets] of Object.entries(truth)) {
        for (const [sym, t] of Object.entries(markets)) {
          if (t.count === 0) continue;
          const st = await h.store.marketStats(ex as Exchange, sym);
          if (!st || String(st.lastTradeId) !== t.last_trade_id) return false;
        }
      }
      return true;
    },
    timeoutMs,
    200,
  );
}

export async function allStoredTrades(
  store: Store,
  exchange: Exchange,
  symbol: string,
): Promise<StoredTrade[]> {
  return store.latestTrades(exchange, symbol, 10_000_000);
}

/** Metric value (sum over label sets matching `labels`). */
export async function metricValue(
  m: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  let sum = 0;
  for (const v of data.values) {
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, val]) => String(l[k]) === val)) sum += v.value;
  }
  return sum;
}
