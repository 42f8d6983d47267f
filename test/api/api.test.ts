/**
 * The HTTP API over real HTTP, on both stores: every route, every spelling of a symbol,
 * limits, ranges and every error answer. Data goes in through the store's write path.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { keys } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';
import {
  type Answer,
  apiTrade,
  type DataSet,
  dataSet,
  fill,
  get,
  startApi,
  type TestApi,
} from './helpers.js';

function expectError(a: Answer, status: number, code?: string) {
  expect(a.status, a.text).toBe(status);
  expect(Object.keys(a.body).sort()).toEqual(['error', 'message']);
  expect(typeof a.body.message).toBe('string');
  expect(a.body.message.length).toBeGreaterThan(0);
  expect(a.text).not.toMatch(/\n\s+at /); // no stack trace
  if (code) expect(a.body.error).toBe(code);
}

const strip = ({ processing_time_ms, ...rest }: { processing_time_ms: number }) => {
  expect(typeof processing_time_ms).toBe('number');
  return rest;
};

function suite(name: string, make: () => Promise<{ store: Store; redisUrl?: string }>) {
  describe(`API on the ${name} store`, () => {
    let store: Store;
    let redisUrl: string | undefined;
    let api: TestApi;
    let ds: DataSet;
    let cbBtc: Trade[];

    beforeAll(async () => {
      ({ store, redisUrl } = await make());
      await store.connect();
      ds = dataSet();
      await fill(store, ds);
      cbBtc = ds.trades.get('coinbase:BTC-USD')!;
      api = await startApi(store);
    });
    afterAll(async () => {
      await api?.close();
      await store?.close();
    });

    const call = (path: string, headers?: Record<string, string>) => get(api.base, path, headers);

    it('answers the latest 100 trades by default, oldest first, in the contract shape', async () => {
      const a = await call('/trades/BTC-USD');
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(a.body).sort()).toEqual([
        'count',
        'data',
        'exchange',
        'processing_time_ms',
        'symbol',
      ]);
      expect(strip(a.body)).toEqual({
        data: cbBtc.slice(-100).map(apiTrade),
        symbol: 'BTC-USD',
        exchange: 'coinbase',
        count: 100,
      });
      for (const t of a.body.data) {
        expect(Object.keys(t).sort()).toEqual(
          ['exchange', 'price', 'side', 'symbol', 'timestamp', 'trade_id', 'volume'].sort(),
        );
      }
      // Timestamps keep µs precision.
      expect(Math.round(a.body.data[0].timestamp * 1e6)).toBe(cbBtc.at(-100)!.ts);
    });

    it('accepts every spelling of a symbol and answers canonical', async () => {
      const want = strip((await call('/trades/BTC-USD?limit=5')).body);
      for (const spelling of [
        'btc-usd',
        'BTC%2FUSD',
        'btc%2Fusd',
        'XBT%2FUSD',
        'XBT-USD',
        'xbt-usd',
        'Btc-Usd',
      ]) {
        const a = await call(`/trades/${spelling}?limit=5`);
        expect(a.status, spelling).toBe(200);
        expect(strip(a.body)).toEqual(want);
      }
      const k = await call('/trades/XBT%2FUSD?exchange=kraken&limit=3');
      expect(k.body.symbol).toBe('BTC-USD');
      expect(k.body.exchange).toBe('kraken');
      expect(k.body.data.map((t: { symbol: string }) => t.symbol)).toEqual(['BTC-USD', 'BTC-USD', 'BTC-USD']);
      expect(k.body.data).toEqual(ds.trades.get('kraken:BTC-USD')!.slice(-3).map(apiTrade));
    });

    it('takes limits 1..10000 and refuses anything else', async () => {
      const one = await call('/trades/BTC-USD?limit=1');
      expect(one.body.data).toEqual([apiTrade(cbBtc.at(-1)!)]);
      const all = await call('/trades/BTC-USD?limit=10000');
      expect(all.body.count).toBe(cbBtc.length);
      expect(all.body.data).toEqual(cbBtc.map(apiTrade));
      for (const bad of ['0', '10001', 'abc', '1.5', '-1', '', '1e3x', '99999999999999999999']) {
        expectError(await call(`/trades/BTC-USD?limit=${bad}`), 400, 'invalid_parameter');
        expectError(await call(`/trades/BTC-USD/recent?limit=${bad}`), 400, 'invalid_parameter');
        expectError(await call(`/ohlcv/BTC-USD?limit=${bad}`), 400, 'invalid_parameter');
      }
      const msg = (await call('/trades/BTC-USD?limit=0')).body.message;
      expect(msg).toContain('1..10000');
    });

    it('serves /recent like the no-range query, and a smaller limit after a larger one', async () => {
      for (const limit of [50, 7, 1000, 3, 2000]) {
        const a = await call(`/trades/BTC-USD/recent?limit=${limit}`);
        expect(a.status).toBe(200);
        expect(strip(a.body)).toEqual({
          data: cbBtc.slice(-limit).map(apiTrade),
          symbol: 'BTC-USD',
          exchange: 'coinbase',
          count: limit,
        });
      }
      const recent = await call('/trades/eth-usd/recent?exchange=kraken');
      expect(recent.body.data).toEqual(ds.trades.get('kraken:ETH-USD')!.slice(-100).map(apiTrade));
    });

    it('answers event-time ranges, inclusive at both ends, oldest first, at most limit', async () => {
      const list = cbBtc;
      const inRange = (a: number, b: number) => list.filter((t) => t.ts >= a && t.ts <= b);
      const sec = (us: number) => String(us / 1e6);
      // Exact trade times as float seconds: both ends included.
      const a = list[100]!.ts;
      const b = list[180]!.ts;
      let r = await call(`/trades/BTC-USD?start_time=${sec(a)}&end_time=${sec(b)}&limit=10000`);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual(inRange(a, b).map(apiTrade));
      expect(r.body.count).toBe(81);
      // One µs inside the ends excludes them.
      r = await call(`/trades/BTC-USD?start_time=${sec(a + 1)}&end_time=${sec(b - 1)}&limit=10000`);
      expect(r.body.count).toBe(79);
      // limit keeps the oldest.
      r = await call(`/trades/BTC-USD?start_time=${sec(a)}&end_time=${sec(b)}&limit=10`);
      expect(r.body.data).toEqual(inRange(a, b).slice(0, 10).map(apiTrade));
      // ISO-8601, with and without fractions and zones.
      r = await call(
        '/trades/BTC-USD?start_time=2024-01-01T21:30:00Z&end_time=2024-01-01T21:40:00.5Z&limit=10000',
      );
      expect(r.body.data).toEqual(
        inRange(Date.parse('2024-01-01T21:30:00Z') * 1000, Date.parse('2024-01-01T21:40:00.5Z') * 1000).map(
          apiTrade,
        ),
      );
      r = await call(
        `/trades/BTC-USD?start_time=${encodeURIComponent('2024-01-01T23:30:00+02:00')}&end_time=2024-01-01T21:40:00&limit=10000`,
      );
      expect(r.body.data).toEqual(
        inRange(Date.parse('2024-01-01T21:30:00Z') * 1000, Date.parse('2024-01-01T21:40:00Z') * 1000).map(
          apiTrade,
        ),
      );
      // Integer epoch seconds.
      const s = Math.floor(list[500]!.ts / 1e6);
      r = await call(`/trades/BTC-USD?start_time=${s}&end_time=${s + 60}&limit=10000`);
      expect(r.body.data).toEqual(inRange(s * 1e6, (s + 60) * 1e6).map(apiTrade));
      // Only a start: up to now, oldest first.
      r = await call(`/trades/BTC-USD?start_time=${sec(list[2600]!.ts)}&limit=10000`);
      expect(r.body.data).toEqual(list.slice(2600).map(apiTrade));
      r = await call(`/trades/BTC-USD?start_time=${sec(list[10]!.ts)}&limit=5`);
      expect(r.body.data).toEqual(list.slice(10, 15).map(apiTrade));
      // Only an end: from the beginning.
      r = await call(`/trades/BTC-USD?end_time=${sec(list[40]!.ts)}&limit=10000`);
      expect(r.body.data).toEqual(list.slice(0, 41).map(apiTrade));
      // Within the two-hour gap: nothing.
      r = await call(
        `/trades/BTC-USD?start_time=${sec(list[1499]!.ts + 1)}&end_time=${sec(list[1500]!.ts - 1)}`,
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ data: [], count: 0 });
      // start == end on a trade.
      r = await call(`/trades/BTC-USD?start_time=${sec(a)}&end_time=${sec(a)}`);
      expect(r.body.data).toEqual([apiTrade(list[100]!)]);
    });

    it('refuses bad times and inverted ranges', async () => {
      for (const q of [
        'start_time=abc',
        'end_time=yesterday',
        'start_time=2024-13-45T00:00:00Z',
        'start_time=-5',
        'start_time=1e9',
        'end_time=2024-01-01T00:00:00Zjunk',
      ]) {
        expectError(await call(`/trades/BTC-USD?${q}`), 400, 'invalid_time');
        expectError(await call(`/ohlcv/BTC-USD?${q}`), 400, 'invalid_time');
      }
      expectError(
        await call('/trades/BTC-USD?start_time=1704100000&end_time=1704000000'),
        400,
        'invalid_range',
      );
      expectError(
        await call('/ohlcv/BTC-USD?start_time=2024-01-02T00:00:00Z&end_time=2024-01-01T00:00:00Z'),
        400,
        'invalid_range',
      );
    });

    it('answers 400 for invalid symbols and 404 for unknown exchanges, symbols and routes', async () => {
      for (const bad of ['BTCUSD', 'BTC-USD-EUR', 'BTC-BTC', '%20', 'BTC_USD', 'B%C3%A4T-USD']) {
        expectError(await call(`/trades/${bad}`), 400, 'invalid_symbol');
        expectError(await call(`/ohlcv/${bad}`), 400, 'invalid_symbol');
        expectError(await call(`/orderbook/${bad}`), 400, 'invalid_symbol');
        expectError(await call(`/spread/${bad}`), 400, 'invalid_symbol');
      }
      expectError(await call('/trades/BTC-USD?exchange=binance'), 404, 'unknown_exchange');
      expectError(await call('/trades/BTC-USD/recent?exchange=x'), 404, 'unknown_exchange');
      expectError(await call('/ohlcv/BTC-USD?exchange=bitstamp'), 404, 'unknown_exchange');
      expectError(await call('/orderbook/BTC-USD?exchange=ftx'), 404, 'unknown_exchange');
      expectError(await call('/symbols/binance'), 404, 'unknown_exchange');
      expectError(await call('/trades/DOGE-USD'), 404, 'unknown_symbol');
      expectError(await call('/ohlcv/DOGE-USD?exchange=kraken'), 404, 'unknown_symbol');
      expectError(await call('/trades/SOL-EUR?exchange=kraken'), 404, 'unknown_symbol');
      expectError(await call('/orderbook/DOGE-USD'), 404, 'unknown_symbol');
      expectError(await call('/orderbook/DOGE-USD/consolidated'), 404, 'unknown_symbol');
      expectError(await call('/spread/DOGE-USD'), 404, 'unknown_symbol');
      for (const path of ['/nope', '/trades', '/trades/BTC-USD/older', '/ohlcv', '/symbols', '/orderbook']) {
        expectError(await call(path), 404, 'not_found');
      }
      const post = await fetch(`${api.base}/trades/BTC-USD`, { method: 'POST' });
      expect(post.status).toBe(404);
      expect(Object.keys((await post.json()) as object).sort()).toEqual(['error', 'message']);
      // An unencoded slash is read as the BTC/USD spelling; an unknown segment is still a 404.
      const slashed = await call('/trades/BTC/USD');
      expect(slashed.status).toBe(200);
      expect(slashed.body.symbol).toBe('BTC-USD');
      expectError(await call('/trades/BTC/USD/older'), 404, 'not_found');
      // A known symbol without trades answers empty lists.
      const empty = await call('/trades/SOL-EUR');
      expect(empty.status).toBe(200);
      expect(strip(empty.body)).toEqual({ data: [], symbol: 'SOL-EUR', exchange: 'coinbase', count: 0 });
      expect(strip((await call('/ohlcv/sol-eur')).body)).toEqual({
        data: [],
        symbol: 'SOL-EUR',
        exchange: 'coinbase',
        interval: '1m',
        count: 0,
      });
      expectError(await call('/ohlcv/BTC-USD?interval=2m'), 400, 'invalid_interval');
      const iv = await call('/ohlcv/BTC-USD?interval=1w');
      expect(iv.body.message).toContain('1m, 5m, 15m, 1h, 4h, 1d');
    });

    it('lists symbols per exchange', async () => {
      const cb = await call('/symbols/coinbase');
      expect(strip(cb.body)).toEqual({
        symbols: ['BTC-USD', 'ETH-USD', 'SOL-EUR'],
        exchange: 'coinbase',
        count: 3,
      });
      const kr = await call('/symbols/KRAKEN');
      expect(strip(kr.body)).toEqual({ symbols: ['BTC-USD', 'ETH-USD'], exchange: 'kraken', count: 2 });
    });

    it('summarises from the stats, with counts equal to the streams', async () => {
      const a = await call('/summary');
      expect(a.status).toBe(200);
      const all = [...ds.trades.values()];
      const total = all.reduce((n, l) => n + l.length, 0);
      const first = Math.min(...all.map((l) => l[0]!.ts));
      const last = Math.max(...all.map((l) => l.at(-1)!.ts));
      expect(strip(a.body)).toEqual({
        total_symbols: 2,
        total_exchanges: 2,
        total_records: total,
        date_range: { start: first / 1e6, end: last / 1e6 },
        symbols_by_exchange: { coinbase: ['BTC-USD', 'ETH-USD'], kraken: ['BTC-USD', 'ETH-USD'] },
        record_count_by_symbol: {
          'coinbase:BTC-USD': ds.trades.get('coinbase:BTC-USD')!.length,
          'coinbase:ETH-USD': ds.trades.get('coinbase:ETH-USD')!.length,
          'kraken:BTC-USD': ds.trades.get('kraken:BTC-USD')!.length,
          'kraken:ETH-USD': ds.trades.get('kraken:ETH-USD')!.length,
        },
      });
      const stats = await store.allStats(['coinbase', 'kraken']);
      for (const s of stats) {
        expect(a.body.record_count_by_symbol[`${s.exchange}:${s.symbol}`]).toBe(s.count);
      }
      if (redisUrl) {
        const c = await redisClient(redisUrl);
        try {
          for (const [key, n] of Object.entries(a.body.record_count_by_symbol as Record<string, number>)) {
            const [ex, sym] = key.split(':') as ['coinbase' | 'kraken', string];
            expect(await c.xLen(keys.trades(ex, sym))).toBe(n);
          }
        } finally {
          await c.close();
        }
      }
    });

    it('answers one order book, best first, cut to depth', async () => {
      const a = await call('/orderbook/BTC-USD');
      expect(a.status).toBe(200);
      expect(a.body).toEqual({
        symbol: 'BTC-USD',
        exchange: 'coinbase',
        timestamp: ds.books[0]!.ts / 1e6,
        sequence: 1001,
        bids: [
          { price: 43000.5, size: 1.2 },
          { price: 43000.25, size: 0.5 },
          { price: 42999, size: 3 },
        ],
        asks: [
          { price: 43001, size: 0.7 },
          { price: 43001.5, size: 0.01 },
          { price: 43002.75, size: 2.25 },
        ],
      });
      const one = await call('/orderbook/xbt%2Fusd?exchange=kraken&depth=1');
      expect(one.body).toMatchObject({
        symbol: 'BTC-USD',
        exchange: 'kraken',
        sequence: 77,
        bids: [{ price: 43002.1, size: 0.3 }],
        asks: [{ price: 43003, size: 0.4 }],
      });
      expect((await call('/orderbook/BTC-USD?depth=1000')).status).toBe(200);
      for (const bad of ['0', '1001', 'x']) {
        expectError(await call(`/orderbook/BTC-USD?depth=${bad}`), 400, 'invalid_parameter');
        expectError(await call(`/orderbook/BTC-USD/consolidated?depth=${bad}`), 400, 'invalid_parameter');
      }
      expectError(await call('/orderbook/ETH-USD?exchange=kraken'), 404, 'no_order_book');
    });

    it('merges the books of both exchanges and flags a crossed market', async () => {
      const c = await call('/orderbook/BTC-USD/consolidated?depth=4');
      expect(c.status).toBe(200);
      expect(c.body).toEqual({
        symbol: 'BTC-USD',
        timestamp: ds.books[1]!.ts / 1e6,
        exchanges: ['coinbase', 'kraken'],
        bids: [
          { price: 43002.1, size: 0.3, exchange: 'kraken' },
          { price: 43000.5, size: 1.2, exchange: 'coinbase' },
          { price: 43000.5, size: 0.9, exchange: 'kraken' },
          { price: 43000.25, size: 0.5, exchange: 'coinbase' },
        ],
        asks: [
          { price: 43001, size: 0.7, exchange: 'coinbase' },
          { price: 43001.5, size: 0.01, exchange: 'coinbase' },
          { price: 43002.75, size: 2.25, exchange: 'coinbase' },
          { price: 43003, size: 0.4, exchange: 'kraken' },
        ],
        best_bid: { price: 43002.1, size: 0.3, exchange: 'kraken' },
        best_ask: { price: 43001, size: 0.7, exchange: 'coinbase' },
      });
      // Default depth 20 keeps every stored level (6 bids, 5 asks).
      const full = await call('/orderbook/BTC-USD/consolidated');
      expect(full.body.bids).toHaveLength(6);
      expect(full.body.asks).toHaveLength(5);

      const s = await call('/spread/btc-usd');
      expect(s.status).toBe(200);
      expect(s.body).toEqual({
        symbol: 'BTC-USD',
        timestamp: ds.books[1]!.ts / 1e6,
        exchanges: {
          coinbase: {
            bid: 43000.5,
            ask: 43001,
            bid_size: 1.2,
            ask_size: 0.7,
            spread: 0.5,
            timestamp: ds.books[0]!.ts / 1e6,
          },
          kraken: {
            bid: 43002.1,
            ask: 43003,
            bid_size: 0.3,
            ask_size: 0.4,
            spread: 0.9,
            timestamp: ds.books[1]!.ts / 1e6,
          },
        },
        best_bid: { price: 43002.1, size: 0.3, exchange: 'kraken' },
        best_ask: { price: 43001, size: 0.7, exchange: 'coinbase' },
        spread: -1.1,
        spread_bps: expect.any(Number),
        crossed: true,
      });
      expect(s.body.spread_bps).toBeCloseTo((-1.1 / ((43002.1 + 43001) / 2)) * 1e4, 3);
    });

    it('answers a single-exchange, uncrossed book', async () => {
      const c = await call('/orderbook/ETH-USD/consolidated?depth=1');
      expect(c.body).toEqual({
        symbol: 'ETH-USD',
        timestamp: ds.books[2]!.ts / 1e6,
        exchanges: ['coinbase'],
        bids: [{ price: 2250.1, size: 10, exchange: 'coinbase' }],
        asks: [{ price: 2250.35, size: 2, exchange: 'coinbase' }],
        best_bid: { price: 2250.1, size: 10, exchange: 'coinbase' },
        best_ask: { price: 2250.35, size: 2, exchange: 'coinbase' },
      });
      const s = await call('/spread/ETH-USD');
      expect(s.body).toMatchObject({
        spread: 0.25,
        crossed: false,
        exchanges: { coinbase: { spread: 0.25 } },
      });
      expect(Object.keys(s.body.exchanges)).toEqual(['coinbase']);
      // A symbol known but without any book: empty answers, not an error.
      const none = await call('/spread/SOL-EUR');
      expect(none.body).toEqual({
        symbol: 'SOL-EUR',
        timestamp: null,
        exchanges: {},
        best_bid: null,
        best_ask: null,
        spread: null,
        spread_bps: null,
        crossed: false,
      });
    });

    it('reports health and metrics with route templates as labels', async () => {
      const h = await call('/health');
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({
        status: 'ok',
        service: expect.any(String),
        version: expect.any(String),
        components: { redis: 'healthy', store: name, collectors: {} },
      });
      expect(typeof h.body.uptime_seconds).toBe('number');
      expect(Number.isNaN(Date.parse(h.body.timestamp))).toBe(false);

      await call('/trades/BTC%2FUSD?limit=2');
      await call('/no/such/route/at/all');
      await call('/trades/DOGE-USD');
      const m = await call('/metrics');
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = m.text.split('\n').filter((l) => l.startsWith('http_requests_total{'));
      const paths = new Set(lines.map((l) => /path="([^"]*)"/.exec(l)?.[1]));
      expect(paths).toContain('/trades/:symbol');
      expect(paths).toContain('/trades/:symbol/recent');
      expect(paths).toContain('/ohlcv/:symbol');
      expect(paths).toContain('/symbols/:exchange');
      expect(paths).toContain('/orderbook/:symbol/consolidated');
      expect(paths).toContain('unmatched');
      for (const p of paths) expect(p === 'unmatched' || p === '*' || p!.startsWith('/')).toBe(true);
      for (const p of paths) expect(p).not.toMatch(/BTC|DOGE|no\/such/);
      expect(m.text).toMatch(/http_requests_total\{method="GET",path="\/trades\/:symbol",status="404"\} \d+/);
      expect(m.text).toMatch(/http_requests_total\{method="GET",path="unmatched",status="404"\} \d+/);
      expect(m.text).toMatch(/http_request_duration_ms_count\{method="GET",path="\/trades\/:symbol"\} \d+/);
    });
  });
}

suite('redis', async () => {
  const redisUrl = await freshRedisUrl(8);
  return {
    redisUrl,
    store: new RedisStore({
      url: redisUrl,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    }),
  };
});

suite('embedded', async () => ({ store: new EmbeddedStore({ maxTradesPerMarket: 100_000 }) }));
