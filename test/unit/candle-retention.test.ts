import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CandleRetention } from '../../src/collector/candle-retention.js';
import type { Trade } from '../../src/core/types.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const DAY_US = 86_400 * 1_000_000;
const START_US = Date.UTC(2025, 5, 1) * 1000;

/** One trade every 6 hours for `days` days. */
function trades(exchange: 'coinbase' | 'kraken', days: number): Trade[] {
  return Array.from({ length: days * 4 }, (_, i) => ({
    exchange,
    symbol: 'BTC-USD',
    id: i + 1,
    price: `${60000 + i}.5`,
    size: '0.01',
    side: 'buy' as const,
    ts: START_US + i * 6 * 3600 * 1_000_000,
    recvTs: START_US + i * 6 * 3600 * 1_000_000 + 100,
  }));
}

describe('candle retention', () => {
  it('is off at 0 days and keeps every candle', () => {
    const r = new CandleRetention({
      store: new EmbeddedStore({ maxTradesPerMarket: 1000 }),
      markets: [],
      days: 0,
      log: pino({ level: 'silent' }),
    });
    expect(r.enabled).toBe(false);
  });

  it('trims every market to the last N days from the clock, logs what it deleted, and is idempotent', async () => {
    const store = new EmbeddedStore({ maxTradesPerMarket: 1000 });
    for (const ex of ['coinbase', 'kraken'] as const) {
      const t = trades(ex, 10);
      await store.ingestTrades(ex, 'BTC-USD', t, aggregateByMinute(t));
    }
    const lines: { msg: string; exchange?: string; deleted?: number; kept_from?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    // Ten days of trades, the clock half an hour after the last one, three days kept.
    const nowMs = (START_US + 9.75 * DAY_US) / 1000 + 30 * 60_000;
    const r = new CandleRetention({
      store,
      markets: [
        { exchange: 'coinbase', symbol: 'BTC-USD' },
        { exchange: 'kraken', symbol: 'BTC-USD' },
      ],
      days: 3,
      log,
      now: () => nowMs,
    });
    const cutoff = Math.floor((nowMs / 1000 - 3 * 86_400) / 60) * 60;
    expect(r.cutoff()).toBe(cutoff);
    const kept = (await store.candles('kraken', 'BTC-USD', 0, 2 ** 40)).filter((c) => c.bucket >= cutoff);
    expect(kept).toHaveLength(12); // the trades of the last three days

    // Two callers at once share one pass.
    const [a, b] = [r.trimNow(), r.trimNow()];
    expect(a).toBe(b);
    expect(await a).toBe(2 * (40 - 12));
    for (const ex of ['coinbase', 'kraken'] as const) {
      expect((await store.candles(ex, 'BTC-USD', 0, 2 ** 40)).map((c) => c.bucket)).toEqual(
        kept.map((c) => c.bucket),
      );
      expect((await store.marketStats(ex, 'BTC-USD'))?.candlesFrom).toBe(cutoff);
    }
    expect(lines.filter((l) => l.msg.startsWith('candle retention'))).toEqual([
      expect.objectContaining({
        exchange: 'coinbase',
        deleted: 28,
        kept_from: new Date(cutoff * 1000).toISOString(),
      }),
      expect.objectContaining({ exchange: 'kraken', deleted: 28 }),
    ]);
    expect(await r.trimNow()).toBe(0);
  });
});
