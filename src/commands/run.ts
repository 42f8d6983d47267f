/**
 * `alphapulse run`: collectors + API in one process (the default main job), plus the
 * history writer when DATABASE_URL is set (it reads the Redis streams, so it needs Redis).
 * With `--simulate`, in-process exchange simulators feed the collectors instead of the
 * live exchanges (the offline demo).
 */

import type { FastifyInstance } from 'fastify';
import { startApiServer } from '../api/server.js';
import type { Archiver } from '../archive/archiver.js';
import { HistoryReader } from '../archive/history.js';
import { Collector } from '../collector/collector.js';
import { type Config, describeConfig } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { backfillProgress } from '../core/progress.js';
import { metrics } from '../metrics/registry.js';
import type { RunningSimulators } from '../sim/index.js';
import { createStore } from '../store/create-store.js';
import { SHUTDOWN_BUDGET_MS, stopOnSignal } from './lifecycle.js';

export interface RunOptions {
  simulate?: boolean;
}

/** Trades per second per symbol of the demo: enough to look alive. */
const DEMO_RATE = 10;
const DEMO_BOOK_RATE = 5;

async function startDemoSimulators(
  config: Config,
  log: Logger,
): Promise<{ sims: RunningSimulators; config: Config }> {
  const { startSimulators } = await import('../sim/index.js');
  const sims = await startSimulators({
    exchanges: config.EXCHANGES,
    symbols: config.SYMBOLS,
    ratePerSymbol: DEMO_RATE,
    seed: 1,
    // Ids grow with the clock, so a restarted demo writing to a persistent Redis continues
    // above what it stored before instead of repeating old ids.
    firstTradeId: Date.now(),
    host: '127.0.0.1',
    ports: { coinbase: 0, kraken: 0 },
    bookRate: DEMO_BOOK_RATE,
    logger: log.child({ component: 'simulator' }),
  });
  const cb = sims.urls.coinbase;
  const kr = sims.urls.kraken;
  const simulated: Config = {
    ...config,
    COINBASE_WS_URL: cb?.ws ?? config.COINBASE_WS_URL,
    COINBASE_REST_URL: cb?.rest ?? config.COINBASE_REST_URL,
    KRAKEN_WS_URL: kr?.ws ?? config.KRAKEN_WS_URL,
    KRAKEN_REST_URL: kr?.rest ?? config.KRAKEN_REST_URL,
  };
  log.warn(
    { simulated: true, urls: sims.urls, rate_per_symbol: DEMO_RATE, symbols: config.SYMBOLS },
    'SIMULATED market data: collectors are fed by in-process exchange simulators, not the live exchanges',
  );
  return { sims, config: simulated };
}

/** The archiver when DATABASE_URL is set and the trades live in Redis; undefined otherwise. */
async function maybeArchiver(config: Config, log: Logger): Promise<Archiver | undefined> {
  if (!config.DATABASE_URL) return undefined;
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) {
    log.warn(
      'DATABASE_URL is set but REDIS_URL is not: the history writer reads the Redis streams, so it is not started with the embedded store',
    );
    return undefined;
  }
  const { createArchiver } = await import('../archive/archiver.js');
  return createArchiver(config, { log, metrics: metrics() });
}

export async function runCommand(initial: Config, opts: RunOptions = {}): Promise<void> {
  const log = createLogger(initial.LOG_LEVEL);
  log.info({ command: 'run', simulate: opts.simulate === true, config: describeConfig(initial) }, 'starting');
  const m = metrics();

  let sims: RunningSimulators | undefined;
  let config = initial;
  if (opts.simulate) ({ sims, config } = await startDemoSimulators(initial, log));

  const store = createStore(config, log, m);
  let collector: Collector | undefined;
  let api: FastifyInstance | undefined;
  let archiver: Archiver | undefined;
  // Ranges older than the Redis retention are answered from the PostgreSQL history.
  const history = config.DATABASE_URL ? HistoryReader.fromUrl(config.DATABASE_URL, { log }) : undefined;
  const stop = async () => {
    // Collector first (it flushes what it holds), then the API, the history writer (its
    // in-flight batch commits), the simulators, the store.
    const deadline = Date.now() + SHUTDOWN_BUDGET_MS - 1000;
    await collector?.stop(deadline);
    await api?.close();
    await archiver?.stop();
    await history?.close();
    await sims?.close();
    await store.close();
  };
  try {
    await store.connect();
    collector = new Collector({ config, store, metrics: m, log, onBackfillProgress: backfillProgress() });
    await collector.start();
    api = await startApiServer({ config, store, metrics: m, log, collector, history });
    archiver = await maybeArchiver(config, log);
    await archiver?.start();
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  stopOnSignal({ stop }, log);
}
