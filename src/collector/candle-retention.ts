/**
 * Candle retention (CANDLE_RETENTION_DAYS): the 1-minute candle hashes grow by a field per
 * traded minute (about 150 kB a day per market), while the trade streams are capped by
 * STREAM_MAXLEN. When set, each collector trims the candles of its own markets to that many
 * days, shortly after start and then every TRIM_INTERVAL_MS; the API then takes older
 * minutes from the archive (DATABASE_URL) or has none. 0 keeps every candle.
 */

import type { Logger } from '../core/logger.js';
import type { MarketId } from '../core/types.js';
import { minuteBucket } from '../store/aggregate.js';
import type { Store } from '../store/store.js';

/** How often retention runs; a candle outlives its retention by at most this. */
export const TRIM_INTERVAL_MS = 10 * 60_000;
/** First run after start: after the collector's own start-up traffic. */
const FIRST_TRIM_MS = 30_000;

export interface CandleRetentionOptions {
  store: Store;
  markets: readonly MarketId[];
  days: number;
  log: Logger;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

export class CandleRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly o: CandleRetentionOptions) {}

  get enabled(): boolean {
    return this.o.days > 0;
  }

  start(): void {
    if (!this.enabled) return;
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.trimNow().finally(() => {
          if (!this.stopped) schedule(TRIM_INTERVAL_MS);
        });
      }, ms);
      this.timer.unref();
    };
    schedule(FIRST_TRIM_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** First bucket kept (epoch s, minute-aligned). */
  cutoff(): number {
    return minuteBucket(((this.o.now ?? Date.now)() - this.o.days * 86_400_000) * 1000);
  }

  /** One pass over every market (never two at once); resolves to the candles deleted. */
  trimNow(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const before = this.cutoff();
    let total = 0;
    for (const { exchange, symbol } of this.o.markets) {
      if (this.stopped || !this.o.store.healthy) break;
      try {
        const deleted = await this.o.store.trimCandles(exchange, symbol, before);
        total += deleted;
        if (deleted > 0)
          this.o.log.info(
            { exchange, symbol, deleted, kept_from: new Date(before * 1000).toISOString() },
            'candle retention: old 1-minute candles deleted',
          );
      } catch (e) {
        // The next pass retries; trimming never blocks collection.
        this.o.log.warn({ exchange, symbol, err: (e as Error).message }, 'candle retention failed');
      }
    }
    return total;
  }
}
