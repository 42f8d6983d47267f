/** Picks the store from the configuration: Redis when a URL or cluster is given, else embedded. */

import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { EmbeddedStore } from './embedded/embedded-store.js';
import { RedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

/** The embedded store keeps at most this many trades per market, whatever STREAM_MAXLEN says. */
export const EMBEDDED_MAX_TRADES = 200_000;

export function createStore(config: Config, log: Logger, metrics: Metrics): Store {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) {
    return new RedisStore({
      url: config.REDIS_URL,
      clusterNodes: config.REDIS_CLUSTER_NODES,
      streamMaxlen: config.STREAM_MAXLEN,
      log,
      metrics,
    });
  }
  const maxTrades = Math.min(config.STREAM_MAXLEN, EMBEDDED_MAX_TRADES);
  log.info(
    { store: 'embedded', max_trades_per_market: maxTrades },
    'REDIS_URL is not set: using the embedded in-process store (data in memory only, lost at exit)',
  );
  return new EmbeddedStore({ maxTradesPerMarket: maxTrades });
}
