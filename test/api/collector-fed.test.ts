/**
 * The API over real HTTP on a store filled by the real collector from the simulators
 * (no hand-written data): answers agree with the stream, the stats and a recomputation.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDecimal, sumDecimals } from '../../src/core/decimal.js';
import type { Exchange } from '../../src/core/types.js';
import { minuteBucket } from '../../src/store/aggregate.js';
import { allStoredTrades, type Harness, type StoreKind, startHarness } from '../helpers/collector-harness.js';
import { waitFor } from '../helpers/process.js';
import { redisClient } from '../helpers/redis.js';
import { apiTrade, get, startApi, type TestApi } from './helpers.js';

const MARKETS: [Exchange, string][] = [
  ['coinbase', 'BTC-USD'],
  ['coinbase', 'ETH-USD'],
  ['kraken', 'BTC-USD'],
  ['kraken', 'ETH-USD'],
];

function suite(kind: StoreKind, db: number) {
  describe(`API fed by the collector (${kind} store)`, () => {
    let h: Harness;
    let api: TestApi;

    beforeAll(async () => {
      h = await startHarness({ store: kind, db, rate: 150, bookRate: 20, env: { BOOK_DEPTH: '10' } });
      await new Promise((r) => setTimeout(r, 3000));
      h.sim.stopGenerating();
      const truth = h.sim.truth();
      await waitFor('all trades stored', async () => {
        for (const [ex, sym] of MARKETS) {
          const st = await h.store.marketStats(ex, sym);
          if (String(st?.lastTradeId) !== truth[ex]![sym]!.last_trade_id) return false;
        }
        return true;
      });
      api = await startApi(h.store);
    });

    afterAll(async () => {
      await api?.close();
      await h?.stop();
    });

    it('/trades and /trades/recent return exactly the stored trades', async () => {
      for (const [ex, sym] of MARKETS) {
        const stored = await allStoredTrades(h.store, ex, sym);
        const latest = await get(api.base, `/trades/${sym.replace('-', '/')}?exchange=${ex}&limit=10000`);
        expect(latest.status).toBe(200);
        expect(latest.body.data).toEqual(stored.slice(-10000).map(apiTrade));
        expect(latest.body.count).toBe(Math.min(stored.length, 10000));
        const recent = await get(api.base, `/trades/${sym.toLowerCase()}/recent?exchange=${ex}&limit=25`);
        expect(recent.body.data).toEqual(stored.slice(-25).map(apiTrade));
        // A range in the middle, by event time, inclusive at both ends.
        const a = stored[Math.floor(stored.length / 4)]!.ts;
        const b = stored[Math.floor((3 * stored.length) / 4)]!.ts;
        const range = await get(
          api.base,
          `/trades/${sym}?exchange=${ex}&start_time=${a / 1e6}&end_time=${b / 1e6}&limit=10000`,
        );
        expect(range.body.data).toEqual(stored.filter((t) => t.ts >= a && t.ts <= b).map(apiTrade));
      }
    });

    it('accepts BTC/USD put unencoded in the path on every route', async () => {
      const a = await get(api.base, '/trades/BTC/USD/recent?exchange=kraken&limit=3');
      const b = await get(api.base, '/trades/BTC-USD/recent?exchange=kraken&limit=3');
      expect(a.status).toBe(200);
      expect(a.body.data).toEqual(b.body.data);
      expect((await get(api.base, '/trades/xbt/usd?exchange=kraken&limit=1')).body.symbol).toBe('BTC-USD');
      expect((await get(api.base, '/ohlcv/ETH/USD?interval=5m')).status).toBe(200);
      expect((await get(api.base, '/orderbook/BTC/USD?exchange=coinbase')).status).toBe(200);
      expect((await get(api.base, '/orderbook/BTC/USD/consolidated')).status).toBe(200);
      expect((await get(api.base, '/spread/ETH/USD')).body.symbol).toBe('ETH-USD');
    });

    it('/ohlcv 1m bars equal a recomputation from the raw trades', async () => {
      for (const [ex, sym] of MARKETS) {
        const stored = await allStoredTrades(h.store, ex, sym);
        const bars = await get(api.base, `/ohlcv/${sym}?exchange=${ex}&interval=1m&limit=10000`);
        expect(bars.status).toBe(200);
        const groups = new Map<number, typeof stored>();
        for (const t of stored)
          groups.set(minuteBucket(t.ts), [...(groups.get(minuteBucket(t.ts)) ?? []), t]);
        expect(bars.body.data.map((b: { timestamp: number }) => b.timestamp)).toEqual([...groups.keys()]);
        for (const bar of bars.body.data) {
          const g = groups.get(bar.timestamp)!;
          const prices = g.map((t) => t.price).sort(compareDecimal);
          expect(bar).toMatchObject({
            open: Number(g[0]!.price),
            close: Number(g.at(-1)!.price),
            high: Number(prices.at(-1)),
            low: Number(prices[0]),
            volume: Number(sumDecimals(g.map((t) => t.size))),
            trades: g.length,
          });
        }
      }
    });

    it('/summary counts equal the stream lengths, /symbols lists what was collected', async () => {
      const summary = await get(api.base, '/summary');
      let total = 0;
      for (const [ex, sym] of MARKETS) {
        const n = (await allStoredTrades(h.store, ex, sym)).length;
        if (kind === 'redis') {
          const c = await redisClient(h.env.REDIS_URL!);
          expect(await c.xLen(`trades:{${ex}:${sym}}`)).toBe(n);
          await c.close();
        }
        expect(summary.body.record_count_by_symbol[`${ex}:${sym}`]).toBe(n);
        total += n;
      }
      expect(summary.body.total_records).toBe(total);
      expect(summary.body.total_symbols).toBe(2);
      expect(summary.body.total_exchanges).toBe(2);
      expect((await get(api.base, '/symbols/kraken')).body).toMatchObject({
        symbols: ['BTC-USD', 'ETH-USD'],
        exchange: 'kraken',
        count: 2,
      });
    });

    it('/health of an API-only server shows the collectors they publish in the store', async () => {
      const health = await waitFor('collector reports', async () => {
        const r = await get(api.base, '/health');
        return Object.keys(r.body.components.collectors).length === 2 ? r : undefined;
      });
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
      for (const ex of ['coinbase', 'kraken']) {
        expect(health.body.components.collectors[ex].connected).toBe(true);
        expect(health.body.components.collectors[ex].last_message_age_ms).toBeLessThan(5000);
      }
    });

    it('/orderbook, /consolidated and /spread reflect the collected books', async () => {
      for (const [ex, sym] of MARKETS) {
        const book = await get(api.base, `/orderbook/${sym}?exchange=${ex}&depth=5`);
        expect(book.status).toBe(200);
        const top = (await h.store.bookTop(ex, sym))!;
        expect(book.body.bids).toEqual(
          top.bids.slice(0, 5).map(([p, s]) => ({ price: Number(p), size: Number(s) })),
        );
        expect(book.body.asks).toEqual(
          top.asks.slice(0, 5).map(([p, s]) => ({ price: Number(p), size: Number(s) })),
        );
        expect(book.body.bids[0].price).toBeLessThan(book.body.asks[0].price);
      }
      const cons = await get(api.base, '/orderbook/BTC-USD/consolidated?depth=10');
      expect(new Set(cons.body.bids.map((l: { exchange: string }) => l.exchange))).toEqual(
        new Set(['coinbase', 'kraken']),
      );
      const bestBid = Math.max(...cons.body.bids.map((l: { price: number }) => l.price));
      expect(cons.body.best_bid.price).toBe(bestBid);
      const spread = await get(api.base, '/spread/BTC-USD');
      expect(Object.keys(spread.body.exchanges).sort()).toEqual(['coinbase', 'kraken']);
      expect(typeof spread.body.crossed).toBe('boolean');
    });
  });
}

suite('redis', 15);
suite('embedded', 0);
