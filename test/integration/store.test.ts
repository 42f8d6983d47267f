import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, sumDecimals } from '../../src/core/decimal.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { uniform } from '../../src/sim/prng.js';
import { aggregateByMinute, minuteBucket } from '../../src/store/aggregate.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { keys } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';

function makeTrades(startId: number, n: number, startTs: number, stepUs: number): Trade[] {
  const out: Trade[] = [];
  for (let i = 0; i < n; i++) {
    const id = startId + i;
    out.push({
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      id,
      price: (60000 + ((id * 7919) % 1000) / 100).toFixed(2),
      size: `0.${String((id * 104729) % 100000000).padStart(8, '0')}`,
      side: id % 3 === 0 ? 'sell' : 'buy',
      ts: startTs + i * stepUs,
      recvTs: startTs + i * stepUs + 150,
    });
  }
  return out;
}

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0) * 1000;

function suite(name: string, make: () => Promise<Store>) {
  describe(`${name} store`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await make();
      await store.connect();
    });
    afterAll(async () => {
      await store.close();
    });

    it('ingests a batch atomically and a replay writes nothing', async () => {
      const trades = makeTrades(1000, 500, T0, 250_000); // ~2 minutes
      const r1 = await store.ingestTrades('coinbase', 'BTC-USD', trades, aggregateByMinute(trades));
      expect(r1).toEqual({ written: 500, duplicates: 0, lastTradeId: 1499 });
      const r2 = await store.ingestTrades('coinbase', 'BTC-USD', trades, aggregateByMinute(trades));
      expect(r2).toEqual({ written: 0, duplicates: 500, lastTradeId: 1499 });
      // Overlapping batch: only the new tail is written and the candles stay exact.
      const more = makeTrades(1400, 200, T0 + 400 * 250_000, 250_000);
      const r3 = await store.ingestTrades('coinbase', 'BTC-USD', more, aggregateByMinute(more));
      expect(r3).toEqual({ written: 100, duplicates: 100, lastTradeId: 1599 });

      const all = makeTrades(1000, 600, T0, 250_000);
      const stats = await store.marketStats('coinbase', 'BTC-USD');
      expect(stats).toEqual({
        exchange: 'coinbase',
        symbol: 'BTC-USD',
        count: 600,
        firstTs: T0,
        lastTs: all.at(-1)!.ts,
        lastTradeId: 1599,
      });
      const latest = await store.latestTrades('coinbase', 'BTC-USD', 10000);
      expect(latest.map((t) => t.id)).toEqual(all.map((t) => t.id));
      expect(latest.map(({ streamId: _s, ...t }) => t)).toEqual(all);

      // Candles agree with a recomputation from the raw trades.
      const candles = await store.candles(
        'coinbase',
        'BTC-USD',
        minuteBucket(T0) - 600,
        minuteBucket(T0) + 3600,
      );
      const byMinute = new Map<number, Trade[]>();
      for (const t of all) byMinute.set(minuteBucket(t.ts), [...(byMinute.get(minuteBucket(t.ts)) ?? []), t]);
      expect(candles.length).toBe(byMinute.size);
      for (const c of candles) {
        const ts = byMinute.get(c.bucket)!;
        const prices = ts.map((t) => Number(t.price));
        expect(c.o).toBe(ts[0]!.price);
        expect(c.c).toBe(ts.at(-1)!.price);
        expect(Number(c.h)).toBe(Math.max(...prices));
        expect(Number(c.l)).toBe(Math.min(...prices));
        expect(c.n).toBe(ts.length);
        expect(c.v).toBe(sumDecimals(ts.map((t) => t.size)));
      }
    });

    it('answers event-time ranges exactly', async () => {
      const all = await store.latestTrades('coinbase', 'BTC-USD', 10000);
      const cases: [number, number, number][] = [
        [T0, T0 + 10_000_000, 10000],
        [T0 + 1, T0 + 1_000_000, 10000],
        [T0 + 37_100_000, T0 + 99_000_000, 50],
        [T0 - 5_000_000, T0 + 250_000, 10000],
        [all.at(-1)!.ts, all.at(-1)!.ts, 10],
        [all.at(-1)!.ts + 1, all.at(-1)!.ts + 5_000_000, 10],
        [T0 - 10_000_000, T0 - 1, 10],
      ];
      for (const [a, b, limit] of cases) {
        const got = await store.tradesInRange('coinbase', 'BTC-USD', a, b, limit);
        const want = all.filter((t) => t.ts >= a && t.ts <= b).slice(0, limit);
        expect(got.map((t) => t.id)).toEqual(want.map((t) => t.id));
      }
    });

    it('refuses a batch that does not follow what the writer knows it wrote', async () => {
      const next = makeTrades(1600, 5, T0 + 600 * 250_000, 250_000);
      const refused = await store.ingestTrades('coinbase', 'BTC-USD', next, aggregateByMinute(next), 1700);
      expect(refused.written).toBe(-1);
      expect(refused.lastTradeId).toBe(1599);
      const ok = await store.ingestTrades('coinbase', 'BTC-USD', next, aggregateByMinute(next), 1599);
      expect(ok.written).toBe(5);
    });

    it('lists symbols and stats, records gaps, keeps the book top', async () => {
      await store.addSymbol('coinbase', 'BTC-USD');
      await store.addSymbol('coinbase', 'BTC-USD');
      expect(await store.symbols('coinbase')).toEqual(['BTC-USD']);
      const st = await store.allStats(['coinbase', 'kraken']);
      expect(st.map((s) => [s.exchange, s.symbol, s.count])).toEqual([['coinbase', 'BTC-USD', 605]]);
      await store.recordGap('coinbase', 'BTC-USD', 5, 9, 'not served');
      expect(await store.gaps('coinbase', 'BTC-USD')).toEqual([
        { fromTradeId: 5, toTradeId: 9, reason: 'not served' },
      ]);
      const top = {
        exchange: 'coinbase' as const,
        symbol: 'BTC-USD',
        seq: 3,
        ts: T0,
        bids: [['100.5', '1'] as [string, string]],
        asks: [['101', '2'] as [string, string]],
      };
      await store.appendBook(
        'coinbase',
        'BTC-USD',
        { type: 'snapshot', bids: top.bids, asks: top.asks, seq: 3, ts: T0 },
        top,
      );
      expect(await store.bookTop('coinbase', 'BTC-USD')).toEqual(top);
    });

    it('reads streams after a cursor and blocks until new entries arrive', async () => {
      const lastId = await store.lastStreamId('trades', 'coinbase', 'BTC-USD');
      const cursor = {
        stream: 'trades' as const,
        exchange: 'coinbase' as const,
        symbol: 'BTC-USD',
        afterId: lastId,
      };
      const empty = await store.readStreams([cursor], 10, 50);
      expect(empty).toEqual([]);
      const waiting = store.readStreams([cursor], 10, 5000);
      const next = makeTrades(1605, 3, T0 + 700 * 250_000, 1000);
      setTimeout(() => void store.ingestTrades('coinbase', 'BTC-USD', next, aggregateByMinute(next)), 50);
      const got = await waiting;
      expect(got.map((g) => (g.stream === 'trades' ? g.entry.id : -1))).toEqual([1605, 1606, 1607]);
      const fromStart = await store.readStreams([{ ...cursor, afterId: '0' }], 2, 0);
      expect(fromStart.map((g) => (g.stream === 'trades' ? g.entry.id : -1))).toEqual([1000, 1001]);
    });
    it('trims candles below a retention bound, a day at a time, and remembers the bound', async () => {
      // Kraken BTC-USD: a trade every 3 hours for 4 days (32 candles).
      const start = Date.UTC(2024, 2, 1) * 1000;
      const trades = makeTrades(1, 32, start, 3 * 3600 * 1_000_000).map((t) => ({
        ...t,
        exchange: 'kraken' as const,
      }));
      expect((await store.ingestTrades('kraken', 'BTC-USD', trades, aggregateByMinute(trades))).written).toBe(
        32,
      );
      const all = () =>
        store.candles('kraken', 'BTC-USD', minuteBucket(start), minuteBucket(start) + 5 * 86_400);
      const before = await all();
      expect(before).toHaveLength(32);
      expect(await store.trimCandles('kraken', 'ETH-USD', minuteBucket(start) + 86_400)).toBe(0); // no stats
      // Keep from 2.5 days in (not on a candle): spans more than one script call in Redis.
      const cut = minuteBucket(start) + 60 * 3600;
      expect(await store.trimCandles('kraken', 'BTC-USD', cut)).toBe(20);
      expect(await all()).toEqual(before.filter((c) => c.bucket >= cut));
      expect((await store.marketStats('kraken', 'BTC-USD'))?.candlesFrom).toBe(cut);
      // Again, or with an older bound: nothing more to delete, the bound never moves back.
      expect(await store.trimCandles('kraken', 'BTC-USD', cut)).toBe(0);
      expect(await store.trimCandles('kraken', 'BTC-USD', cut - 86_400)).toBe(0);
      expect((await store.marketStats('kraken', 'BTC-USD'))?.candlesFrom).toBe(cut);
      // Ingest goes on and keeps the bound; the next trim starts where the last stopped.
      const more = makeTrades(33, 1, start + 4 * 86_400 * 1_000_000, 1).map((t) => ({
        ...t,
        exchange: 'kraken' as const,
      }));
      expect((await store.ingestTrades('kraken', 'BTC-USD', more, aggregateByMinute(more))).written).toBe(1);
      const stats = await store.marketStats('kraken', 'BTC-USD');
      expect(stats).toMatchObject({ count: 33, firstTs: start, lastTradeId: 33, candlesFrom: cut });
      expect(await store.trimCandles('kraken', 'BTC-USD', minuteBucket(start) + 4 * 86_400)).toBe(12);
      expect((await all()).map((c) => c.bucket)).toEqual([minuteBucket(start) + 4 * 86_400]);
    });

    it('merges a minute across batches exactly, for decimals short and long', async () => {
      // Two batches per minute: the second merges into the candle the first wrote. Values
      // on both sides of 15 digits (Redis's exact fast path and its digit-by-digit path).
      const rnd = uniform(20261207);
      const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
      const decimal = () => {
        const i = Math.floor(rnd() * 11);
        const f = Math.floor(rnd() * 12);
        const int = i === 0 ? '0' : String(1 + Math.floor(rnd() * 9)) + digits(i - 1);
        return f === 0 ? int : `${int}.${digits(f)}`;
      };
      const edge: [string, string][] = [
        ['0.99999999', '0.00000001'],
        ['99999999999999', '1'],
        ['9999999999.9999', '0.0001'],
        ['1.5', '1.50'],
        ['0.000000000001', '0.000000000002'],
        ['123456789012345', '123456789012345'],
        ['1234567890123456', '0.1'],
        ['0.1234567890123456789', '0.0000000000000000001'],
        ['50000.12', '50000.12000000000001'],
        ['7', '7.000000000000000000001'],
      ];
      const pairs: [string, string][] = [
        ...edge,
        ...Array.from({ length: 150 }, () => [decimal(), decimal()] as [string, string]),
      ];
      let id = 1;
      for (const [k, [a, b]] of pairs.entries()) {
        const at = T0 + k * 60_000_000;
        for (const [price, size, ts] of [
          [a, b, at],
          [b, a, at + 1_000_000],
        ] as const) {
          const t: Trade = {
            exchange: 'coinbase',
            symbol: 'SOL-USD',
            id: id++,
            price,
            size,
            side: 'buy',
            ts,
            recvTs: ts,
          };
          await store.ingestTrades('coinbase', 'SOL-USD', [t], aggregateByMinute([t]));
        }
      }
      const candles = await store.candles(
        'coinbase',
        'SOL-USD',
        minuteBucket(T0),
        minuteBucket(T0) + pairs.length * 60,
      );
      expect(candles).toHaveLength(pairs.length);
      for (const [k, [a, b]] of pairs.entries()) {
        const c = candles[k]!;
        const order = compareDecimal(b, a);
        expect({ pair: [a, b], h: c.h, l: c.l, v: c.v, n: c.n }).toEqual({
          pair: [a, b],
          h: order > 0 ? b : a,
          l: order < 0 ? b : a,
          v: addDecimal(b, a),
          n: 2,
        });
      }
    });

    it('refuses a pipelined batch whose predecessor is not stored, with or without market state', async () => {
      const ingest = (from: number, chainAfter: number | undefined) => {
        const t = makeTrades(from, 5, T0 + from * 1000, 1000);
        return store.ingestTrades('kraken', 'ETH-USD', t, aggregateByMinute(t), undefined, chainAfter);
      };
      // A market the store knows nothing of: a chained batch cannot be the first one.
      expect((await ingest(1, 0)).written).toBe(-2);
      expect(await store.marketStats('kraken', 'ETH-USD')).toBeUndefined();
      expect((await ingest(1, undefined)).written).toBe(5);
      expect(await ingest(11, 10)).toEqual({ written: -2, duplicates: 0, lastTradeId: 5 });
      expect((await ingest(6, 5)).written).toBe(5);
      expect((await ingest(11, 10)).written).toBe(5);
      expect((await store.marketStats('kraken', 'ETH-USD'))?.count).toBe(15);
    });
  });
}

suite('redis', async () => {
  const url = await freshRedisUrl(1);
  return new RedisStore({ url, streamMaxlen: 1_000_000, log: silentLogger, metrics: createMetrics() });
});

suite('embedded', async () => new EmbeddedStore({ maxTradesPerMarket: 100_000 }));

describe('redis layout', () => {
  it('writes the exact fields of CONTRACT.md section 4', async () => {
    const url = await freshRedisUrl(2);
    const store = new RedisStore({ url, streamMaxlen: 1000, log: silentLogger, metrics: createMetrics() });
    await store.connect();
    const trades = makeTrades(7, 2, T0, 1000);
    await store.ingestTrades('coinbase', 'BTC-USD', trades, aggregateByMinute(trades));
    await store.close();
    const c = await redisClient(url);
    const entries = await c.xRange(keys.trades('coinbase', 'BTC-USD'), '-', '+');
    expect(keys.trades('coinbase', 'BTC-USD')).toBe('trades:{coinbase:BTC-USD}');
    expect(entries[0]!.message).toEqual({
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      trade_id: '7',
      price: trades[0]!.price,
      size: trades[0]!.size,
      side: trades[0]!.side,
      ts: String(T0),
      recv_ts: String(T0 + 150),
    });
    expect(await c.hGetAll('stats:{coinbase:BTC-USD}')).toEqual({
      count: '2',
      first_ts: String(T0),
      last_ts: String(T0 + 1000),
      last_trade_id: '8',
    });
    const candle = JSON.parse((await c.hGet('candles:{coinbase:BTC-USD}:1m', String(minuteBucket(T0))))!);
    expect(Object.keys(candle)).toEqual(['o', 'h', 'l', 'c', 'v', 'n']);
    await c.close();
  });

  it('counts every operation by kind and outcome, with its latency', async () => {
    const url = await freshRedisUrl(2);
    const metrics = createMetrics();
    const store = new RedisStore({ url, streamMaxlen: 1000, log: silentLogger, metrics });
    await store.connect();
    for (let i = 0; i < 3; i++) {
      const trades = makeTrades(1 + i * 2, 2, T0 + i * 1000, 100);
      await store.ingestTrades('coinbase', 'BTC-USD', trades, aggregateByMinute(trades));
    }
    expect((await store.marketStats('coinbase', 'BTC-USD'))?.count).toBe(6);
    await store.close();
    // A write to a closed store fails: counted as an error, not as a success.
    const late = makeTrades(7, 1, T0 + 5000, 100);
    await expect(store.ingestTrades('coinbase', 'BTC-USD', late, aggregateByMinute(late))).rejects.toThrow();
    const ops = await metrics.redisOps.get();
    const value = (operation: string, status: string) =>
      ops.values.find((v) => v.labels.operation === operation && v.labels.status === status)?.value ?? 0;
    expect(value('ingest', 'ok')).toBe(3);
    expect(value('stats', 'ok')).toBe(1);
    expect(value('ingest', 'error')).toBe(1);
    const latency = await metrics.redisLatency.get();
    const count = latency.values.find(
      (v) => v.metricName === 'redis_operation_latency_ms_count' && v.labels.operation === 'ingest',
    );
    expect(count?.value).toBe(3);
  });
});

describe('signals on both stores', () => {
  it('reads back what was published, oldest first', async () => {
    const url = await freshRedisUrl(2);
    for (const store of [
      new RedisStore({ url, streamMaxlen: 1000, log: silentLogger, metrics: createMetrics() }),
      new EmbeddedStore({ maxTradesPerMarket: 10 }),
    ] as Store[]) {
      await store.connect();
      await store.publishSignal('BTC-USD', { type: 'crossed', n: '1' });
      await store.publishSignal('ETH-USD', { type: 'crossed', n: '2' });
      await store.publishSignal('BTC-USD', { type: 'crossed', n: '3' });
      const got = await store.signals('BTC-USD', 10);
      expect(got.map((s) => s.fields)).toEqual([
        { type: 'crossed', n: '1' },
        { type: 'crossed', n: '3' },
      ]);
      expect((await store.signals('BTC-USD', 1)).map((s) => s.fields.n)).toEqual(['3']);
      await store.close();
    }
  });
});
