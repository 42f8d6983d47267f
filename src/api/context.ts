/** What every route plugin gets: configuration, the guarded store reader, metrics, logging. */

import type { Collector } from '../collector/collector.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/store.js';
import type { KnownSymbols } from './input.js';
import type { LatestTrades } from './latest-trades.js';
import type { StoreReader } from './store-reader.js';

export interface ApiContext {
  config: Config;
  /** The raw store (health checks only); data reads go through `reader`. */
  store: Store;
  reader: StoreReader;
  known: KnownSymbols;
  latest: LatestTrades;
  metrics: Metrics;
  log: Logger;
  collector: Collector | undefined;
}

/** Milliseconds since `start` (a performance.now() value), rounded to µs. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
