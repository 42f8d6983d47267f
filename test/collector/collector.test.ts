import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { compareDecimal, sumDecimals } from '../../src/core/decimal.js';
import type { Exchange } from '../../src/core/types.js';
import { minuteBucket } from '../../src/store/aggregate.js';
import {
  allStoredTrades,
  type Harness,
  metricValue,
  type StoreKind,
  startHarness,
  waitForAllStored,
} from '../helpers/collector-harness.js';

const MARKETS: [Exchange, string][] = [
  ['coinbase', 'BTC-USD'],
  ['coinbase', 'ETH-USD'],
  ['kraken', 'BTC-USD'],
  ['kraken', 'ETH-USD'],
];

/** Every trade the simulator made is stored exactly once, in order, with the right fields. */
async function expectExactlyOnce(h: Harness, from: 'first-received' | 'all' = 'first-received') {
  for (const [ex, sym] of MARKETS) {
    const truth = h.sim.trades(ex, sym);
    const stored = await allStoredTrades(h.store, ex, sym);
    expect(stored.length).toBeGreaterThan(0);
    // The collector starts from the first trade it receives (no older history).
    const first = from === 'all' ? truth[0]!.id : stored[0]!.id;
    const expected = truth.filter((t) => t.id >= first);
    expect(stored.map((t) => t.id)).toEqual(expected.map((t) => t.id));
    for (let i = 0; i < expected.length; i++) {
      const s = stored[i]!;
      const t = expected[i]!;
      expect(s.exchange).toBe(ex);
      expect(s.symbol).toBe(sym);
      expect(compareDecimal(s.price, t.price)).toBe(0);
      expect(compareDecimal(s.size, t.size)).toBe(0);
      expect(s.side).toBe(t.takerSide);
      expect(Number.isInteger(s.ts)).toBe(true);
      // Live trades carry the exchange's µs time exactly; REST back-fill may round the last digit.
      expect(Math.abs(s.ts - t.ts)).toBeLessThanOrEqual(1);
    }
    const stats = await h.store.marketStats(ex, sym);
    expect(stats).toMatchObject({
      count: stored.length,
      firstTs: stored[0]!.ts,
      lastTs: stored.at(-1)!.ts,
      lastTradeId: stored.at(-1)!.id,
    });
  }
}

async function expectCandlesAgree(h: Harness) {
  for (const [ex, sym] of MARKETS) {
    const stored = await allStoredTrades(h.store, ex, sym);
    const candles = await h.store.candles(
      ex,
      sym,
      minuteBucket(stored[0]!.ts),
      minuteBucket(stored.at(-1)!.ts),
    );
    const groups = new Map<number, typeof stored>();
    for (const t of stored) groups.set(minuteBucket(t.ts), [...(groups.get(minuteBucket(t.ts)) ?? []), t]);
    expect(candles.map((c) => c.bucket)).toEqual([...groups.keys()]);
    for (const c of candles) {
      const g = groups.get(c.bucket)!;
      expect(c.o).toBe(g[0]!.price);
      expect(c.c).toBe(g.at(-1)!.price);
      expect(c.n).toBe(g.length);
      expect(c.v).toBe(sumDecimals(g.map((t) => t.size)));
      const sorted = g.map((t) => t.price).sort(compareDecimal);
      expect(compareDecimal(c.l, sorted[0]!)).toBe(0);
      expect(compareDecimal(c.h, sorted.at(-1)!)).toBe(0);
    }
  }
}

function suite(kind: StoreKind, db: number) {
  describe(`collector on the ${kind} store`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it('stores every published trade exactly once, in order, with canonical fields; stats, candles and symbols agree', async () => {
      h = await startHarness({ store: kind, db, rate: 200 });
      await new Promise((r) => setTimeout(r, 2500));
      h.sim.stopGenerating();
      await waitForAllStored(h);
      await expectExactlyOnce(h);
      await expectCandlesAgree(h);
      expect(await h.store.symbols('coinbase')).toEqual(['BTC-USD', 'ETH-USD']);
      expect(await h.store.symbols('kraken')).toEqual(['BTC-USD', 'ETH-USD']);
      expect(await metricValue(h.metrics, 'trades_processed_total', { exchange: 'kraken' })).toBeGreaterThan(
        0,
      );
      expect(await metricValue(h.metrics, 'websocket_connected', { exchange: 'coinbase' })).toBe(1);
      expect(await metricValue(h.metrics, 'malformed_messages_total')).toBe(0);
    });

    it('a restarted collector continues after the last stored trade without duplicates or gaps', async () => {
      h = await startHarness({ store: kind, db, rate: 40 });
      await new Promise((r) => setTimeout(r, 2000));
      await h.collector.stop();
      await new Promise((r) => setTimeout(r, 300));
      await h.startCollector();
      await new Promise((r) => setTimeout(r, 1500));
      h.sim.stopGenerating();
      await waitForAllStored(h);
      await expectExactlyOnce(h);
      // Kraken's 50-trade snapshot repeats trades already stored: dropped as duplicates.
      expect(await metricValue(h.metrics, 'trades_duplicate_total', { exchange: 'kraken' })).toBeGreaterThan(
        0,
      );
      // Coinbase's last_match is past what was missed while down: back-filled over REST.
      expect(
        await metricValue(h.metrics, 'trades_backfilled_total', { exchange: 'coinbase' }),
      ).toBeGreaterThan(0);
    });

    it('counts malformed frames and unknown types and keeps going with nothing lost', async () => {
      h = await startHarness({ store: kind, db, rate: 200, faults: { badFrameEvery: 40 } });
      await new Promise((r) => setTimeout(r, 2500));
      h.sim.stopGenerating();
      await waitForAllStored(h);
      await expectExactlyOnce(h);
      expect(
        await metricValue(h.metrics, 'malformed_messages_total', { exchange: 'coinbase' }),
      ).toBeGreaterThan(0);
      expect(
        await metricValue(h.metrics, 'malformed_messages_total', { exchange: 'kraken' }),
      ).toBeGreaterThan(0);
      expect(await metricValue(h.metrics, 'websocket_messages_total', { type: 'unknown' })).toBeGreaterThan(
        0,
      );
    });

    it('reconnects after dropped connections and back-fills what was missed', async () => {
      h = await startHarness({ store: kind, db, rate: 300, faults: { dropEvery: 400, gapEvery: 150 } });
      await new Promise((r) => setTimeout(r, 4000));
      h.sim.stopGenerating();
      await waitForAllStored(h);
      await expectExactlyOnce(h);
      expect(
        await metricValue(h.metrics, 'websocket_reconnections_total', { exchange: 'coinbase' }),
      ).toBeGreaterThan(0);
      expect(
        await metricValue(h.metrics, 'websocket_reconnections_total', { exchange: 'kraken' }),
      ).toBeGreaterThan(0);
      expect(await metricValue(h.metrics, 'trade_gaps_total')).toBeGreaterThan(0);
      expect(await metricValue(h.metrics, 'trades_backfilled_total')).toBeGreaterThan(0);
      expect(await metricValue(h.metrics, 'trade_gaps_unfilled_total')).toBe(0);
    });

    it('over compressed (permessage-deflate) streams, with reconnects and books, stores every trade exactly once', async () => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
          done();
        },
      });
      h = await startHarness({
        store: kind,
        db,
        rate: 300,
        bookRate: 20,
        compression: true,
        faults: { dropEvery: 700 },
        log: pino({ level: 'info' }, sink),
      });
      await new Promise((r) => setTimeout(r, 4000));
      h.sim.stopGenerating();
      await waitForAllStored(h);
      await expectExactlyOnce(h);
      await expectCandlesAgree(h);
      // Negotiated on every (re)connection and inflated in line, not by ws's thread-pool path.
      const connected = lines.filter((l) => l.msg === 'websocket connected');
      expect(connected.length).toBeGreaterThan(2);
      expect(new Set(connected.map((l) => l.compression))).toEqual(new Set(['fast']));
      expect(
        await metricValue(h.metrics, 'websocket_reconnections_total', { exchange: 'kraken' }),
      ).toBeGreaterThan(0);
      expect(await metricValue(h.metrics, 'malformed_messages_total')).toBe(0);
      // Kraken checks every book update's CRC32: any inflate mistake would fail it.
      expect(await metricValue(h.metrics, 'book_checksum_failures_total')).toBe(0);
      for (const [ex, sym] of MARKETS) {
        const sync = h.collector.books.get(`${ex}:${sym}`)!;
        expect(sync.book.bids.size).toBeGreaterThan(0);
        expect(sync.book.asks.size).toBeGreaterThan(0);
      }
    });
  });
}

suite('redis', 3);
suite('embedded', 4);
