/**
 * OHLCV roll-up for every interval, checked against an independent recomputation from the
 * raw trades as the API itself returns them (/trades), on both stores.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { freshRedisUrl } from '../helpers/redis.js';
import { apiTrade, type DataSet, dataSet, fill, get, startApi, type TestApi } from './helpers.js';

const INTERVALS: Record<string, number> = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
  '4h': 14_400,
  '1d': 86_400,
};

interface ApiTradeT {
  timestamp: number;
  price: number;
  volume: number;
  side: string;
  trade_id: string;
}

interface Bar {
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

/** Bars recomputed from trades (oldest first): exact volume via integer units of 1e-8. */
function recompute(trades: ApiTradeT[], intervalS: number): Bar[] {
  const out: (Bar & { units: bigint })[] = [];
  for (const t of trades) {
    const us = Math.round(t.timestamp * 1e6);
    const start = Math.floor(us / (intervalS * 1e6)) * intervalS;
    const units = BigInt(Math.round(t.volume * 1e8));
    const cur = out.at(-1);
    if (cur && cur.timestamp === start) {
      cur.high = Math.max(cur.high, t.price);
      cur.low = Math.min(cur.low, t.price);
      cur.close = t.price;
      cur.units += units;
      cur.trades++;
    } else {
      expect(cur === undefined || cur.timestamp < start).toBe(true);
      out.push({
        timestamp: start,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: 0,
        trades: 1,
        units,
      });
    }
  }
  return out.map(({ units, ...b }) => ({ ...b, volume: Number(units) / 1e8 }));
}

const MARKETS: [exchange: string, symbol: string][] = [
  ['coinbase', 'BTC-USD'],
  ['coinbase', 'ETH-USD'],
  ['kraken', 'BTC-USD'],
  ['kraken', 'ETH-USD'],
];

function suite(name: string, make: () => Promise<Store>) {
  describe(`OHLCV on the ${name} store`, () => {
    let store: Store;
    let api: TestApi;
    let ds: DataSet;
    const raw = new Map<string, ApiTradeT[]>();

    beforeAll(async () => {
      store = await make();
      await store.connect();
      ds = dataSet();
      await fill(store, ds);
      api = await startApi(store);
      for (const [ex, sym] of MARKETS) {
        const a = await get(api.base, `/trades/${sym}?exchange=${ex}&start_time=0&limit=10000`);
        expect(a.status).toBe(200);
        // The API's trades are the stored ones (sanity check of the reference data).
        expect(a.body.data).toEqual(ds.trades.get(`${ex}:${sym}`)!.map(apiTrade));
        raw.set(`${ex}:${sym}`, a.body.data);
      }
    });
    afterAll(async () => {
      await api?.close();
      await store?.close();
    });

    const ohlcv = async (path: string) => {
      const before = Date.now() / 1000;
      const a = await get(api.base, path);
      const after = Date.now() / 1000;
      expect(a.status, a.text).toBe(200);
      return { ...a, before, after };
    };

    /** Checks `complete` against the clock around the request and strips it. */
    function checkComplete(
      bars: (Bar & { complete: boolean })[],
      intervalS: number,
      before: number,
      after: number,
    ) {
      return bars.map(({ complete, ...b }) => {
        expect(typeof complete).toBe('boolean');
        if (b.timestamp + intervalS <= before) expect(complete).toBe(true);
        if (b.timestamp + intervalS > after) expect(complete).toBe(false);
        return b;
      });
    }

    for (const [interval, iv] of Object.entries(INTERVALS)) {
      it(`rolls ${interval} bars up exactly, for every market, with no invented bars`, async () => {
        for (const [ex, sym] of MARKETS) {
          const want = recompute(raw.get(`${ex}:${sym}`)!, iv);
          // Everything: a range over all time.
          const all = await ohlcv(
            `/ohlcv/${sym}?exchange=${ex}&interval=${interval}&start_time=0&limit=10000`,
          );
          expect(all.body).toMatchObject({ symbol: sym, exchange: ex, interval, count: want.length });
          expect(checkComplete(all.body.data, iv, all.before, all.after)).toEqual(want);
          for (const b of all.body.data) expect(b.timestamp % iv).toBe(0);
          // The latest `limit` bars without a range.
          for (const limit of [1, 3, 100]) {
            const latest = await ohlcv(`/ohlcv/${sym}?exchange=${ex}&interval=${interval}&limit=${limit}`);
            expect(checkComplete(latest.body.data, iv, latest.before, latest.after)).toEqual(
              want.slice(-limit),
            );
          }
          // A range starting inside a bar: only bars starting at or after start_time, up to
          // and including the bar holding end_time; limit keeps the oldest.
          if (want.length >= 3) {
            const start = want[1]!.timestamp - iv / 2;
            const end = want.at(-1)!.timestamp + iv / 3;
            const inRange = want.filter((b) => b.timestamp >= start && b.timestamp <= end);
            const r = await ohlcv(
              `/ohlcv/${sym}?exchange=${ex}&interval=${interval}&start_time=${start}&end_time=${end}&limit=10000`,
            );
            expect(checkComplete(r.body.data, iv, r.before, r.after)).toEqual(inRange);
            const two = await ohlcv(
              `/ohlcv/${sym}?exchange=${ex}&interval=${interval}&start_time=${start}&end_time=${end}&limit=2`,
            );
            expect(checkComplete(two.body.data, iv, two.before, two.after)).toEqual(inRange.slice(0, 2));
            // A range ending exactly on a bar start includes that bar.
            const onStart = await ohlcv(
              `/ohlcv/${sym}?exchange=${ex}&interval=${interval}&start_time=${want[0]!.timestamp}&end_time=${want[1]!.timestamp}`,
            );
            expect(checkComplete(onStart.body.data, iv, onStart.before, onStart.after)).toEqual(
              want.slice(0, 2),
            );
          }
        }
      });
    }

    it('leaves the two-hour gap without bars and crosses the day boundary', async () => {
      const bars1h = (await ohlcv('/ohlcv/BTC-USD?interval=1h&start_time=0&limit=10000')).body.data as Bar[];
      const list = ds.trades.get('coinbase:BTC-USD')!;
      const gapFrom = list[1499]!.ts / 1e6;
      const gapTo = list[1500]!.ts / 1e6;
      // Every bar holds a trade: none lies wholly inside the gap.
      for (const b of bars1h) expect(b.timestamp > gapFrom && b.timestamp + 3600 < gapTo).toBe(false);
      expect(bars1h.some((b) => b.timestamp === Date.UTC(2024, 0, 1, 21) / 1000)).toBe(true);
      expect(bars1h.some((b) => b.timestamp === Date.UTC(2024, 0, 1, 23) / 1000)).toBe(false);
      const days = (await ohlcv('/ohlcv/BTC-USD?interval=1d&start_time=0')).body.data as Bar[];
      expect(days.map((b) => b.timestamp)).toEqual([
        Date.UTC(2024, 0, 1) / 1000,
        Date.UTC(2024, 0, 2) / 1000,
      ]);
      expect(days.reduce((n, b) => n + b.trades, 0)).toBe(list.length);
      // ISO bounds work too, and a range over the gap alone has no bars.
      const gap = await ohlcv(
        '/ohlcv/BTC-USD?interval=1m&start_time=2024-01-01T22:30:00Z&end_time=2024-01-01T23:59:00Z',
      );
      expect(gap.body.data.filter((b: Bar) => b.timestamp > gapFrom && b.timestamp + 60 < gapTo)).toEqual([]);
    });

    it('marks bars complete only once their interval has ended', async () => {
      for (const [interval, iv] of Object.entries(INTERVALS)) {
        const old = await ohlcv(`/ohlcv/ETH-USD?interval=${interval}&limit=10000&start_time=0`);
        expect(old.body.data.every((b: { complete: boolean }) => b.complete)).toBe(true);
        const recent = await ohlcv(
          `/ohlcv/ETH-USD?exchange=kraken&interval=${interval}&limit=10000&start_time=0`,
        );
        const bars = recent.body.data as (Bar & { complete: boolean })[];
        checkComplete(bars, iv, recent.before, recent.after);
        // The last trade was 2 s before the data set was made: its day is still running
        // (unless midnight passed between, which checkComplete's bounds allow for).
        const last = bars.at(-1)!;
        expect(last.timestamp).toBe(Math.floor(ds.recentEndUs / 1e6 / iv) * iv);
      }
    });
  });
}

suite('redis', async () => {
  const url = await freshRedisUrl(9);
  return new RedisStore({ url, streamMaxlen: 1_000_000, log: silentLogger, metrics: createMetrics() });
});

suite('embedded', async () => new EmbeddedStore({ maxTradesPerMarket: 100_000 }));
