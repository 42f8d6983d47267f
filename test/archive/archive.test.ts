/**
 * The archiver end to end in one process: real Redis (database 11), real PostgreSQL
 * (a private database), trades written through the collector's write path.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archiver } from '../../src/archive/archiver.js';
import { HistoryReader } from '../../src/archive/history.js';
import { MIGRATIONS, migrate } from '../../src/archive/migrations.js';
import { createPool } from '../../src/archive/pg.js';
import { writeBatch } from '../../src/archive/writer.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { marketKey, type Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { minuteBucket } from '../../src/store/aggregate.js';
import { keys } from '../../src/store/keys.js';
import { RedisLink } from '../../src/store/redis/link.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { waitFor } from '../helpers/process.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';
import {
  archivedTrades,
  createTestDatabase,
  ingest,
  type MarketSpec,
  metricSum,
  recomputeCandles,
  rng,
  type TestDatabase,
  TradeGen,
  totalArchived,
} from './helpers.js';

const MARKETS: MarketSpec[] = [
  { exchange: 'coinbase', symbol: 'BTC-USD', base: 60000, priceDecimals: 2 },
  { exchange: 'coinbase', symbol: 'ETH-USD', base: 3000, priceDecimals: 2 },
  { exchange: 'kraken', symbol: 'BTC-USD', base: 60010, priceDecimals: 1 },
  { exchange: 'kraken', symbol: 'SOL-EUR', base: 95.5, priceDecimals: 4 },
];
const LATE: MarketSpec = { exchange: 'kraken', symbol: 'ETH-EUR', base: 2800, priceDecimals: 2 };

describe('archiver', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let redisUrl: string;
  let store: RedisStore;
  const links: RedisLink[] = [];
  const archivers: Archiver[] = [];
  const gens = new Map<string, TradeGen>();
  /** Every trade written to Redis, per market. */
  const written = new Map<string, Trade[]>();
  const rand = rng(7);
  const metrics = createMetrics();

  async function write(spec: MarketSpec, n: number) {
    const k = marketKey(spec.exchange, spec.symbol);
    let g = gens.get(k);
    if (!g) {
      g = new TradeGen(spec, k.length * 1000 + spec.base);
      gens.set(k, g);
    }
    const trades = g.next(n);
    await ingest(store, trades, rand);
    written.set(k, [...(written.get(k) ?? []), ...trades]);
  }

  async function newArchiver(consumer: string, batchSize = 250): Promise<Archiver> {
    const link = new RedisLink({ url: redisUrl, log: silentLogger, name: consumer });
    await link.connect();
    links.push(link);
    const a = new Archiver({
      redis: link,
      pool,
      exchanges: ['coinbase', 'kraken'],
      metrics,
      log: process.env.ARCHIVE_TEST_LOG ? createLogger('debug', consumer) : silentLogger,
      consumer,
      batchSize,
      pollIntervalMs: 20,
      discoverIntervalMs: 200,
      lagIntervalMs: 100,
    });
    archivers.push(a);
    return a;
  }

  /** Rows archived for the markets of `written` (other tests add their own markets). */
  async function archivedOfWritten(): Promise<number> {
    let n = 0;
    for (const k of written.keys()) {
      const [exchange, symbol] = k.split(':');
      const r = await pool.query(
        'SELECT count(*)::int AS n FROM trades WHERE exchange = $1 AND symbol = $2',
        [exchange, symbol],
      );
      n += r.rows[0].n as number;
    }
    return n;
  }

  const expectedTotal = () => [...written.values()].reduce((s, l) => s + l.length, 0);

  /** Waits until PostgreSQL holds every written trade and the group has nothing left. */
  async function drained(a: Archiver) {
    await waitFor(
      'every trade archived',
      async () => (await archivedOfWritten()) === expectedTotal(),
      60_000,
    );
    await waitFor(
      'archive lag 0',
      async () => {
        await a.refreshLag();
        const { values } = await a.metrics.lag.get();
        return values.length === written.size && values.every((v) => v.value === 0);
      },
      30_000,
    );
  }

  async function checkArchive() {
    for (const [k, trades] of written) {
      const [exchange, symbol] = k.split(':') as [Trade['exchange'], string];
      const inRedis = await store.latestTrades(exchange, symbol, 1_000_000);
      expect(inRedis.length).toBe(trades.length);
      const rows = await archivedTrades(pool, exchange, symbol);
      // Exactly once, exact text, exact µs (also through the timestamptz column).
      expect(rows.length).toBe(trades.length);
      expect(rows.map((r) => Number(r.trade_id))).toEqual(trades.map((t) => t.id));
      expect(
        rows.map((r) => ({
          id: Number(r.trade_id),
          price: r.price,
          size: r.size,
          side: r.side,
          ts: Number(r.ts_us),
          recvTs: Number(r.recv_ts_us),
          streamId: r.stream_id,
        })),
      ).toEqual(
        inRedis.map((t) => ({
          id: t.id,
          price: t.price,
          size: t.size,
          side: t.side,
          ts: t.ts,
          recvTs: t.recvTs,
          streamId: t.streamId,
        })),
      );
      expect(rows.every((r) => r.ts_exact)).toBe(true);
      // Candles: equal to a recomputation from the trades, and to the Redis candle hash.
      const want = recomputeCandles(trades);
      const history = new HistoryReader(pool);
      const got = await history.candles(exchange, symbol, 0, 4_000_000_000);
      expect(got).toEqual(want);
      expect(got).toEqual(await store.candles(exchange, symbol, want[0]!.bucket, want.at(-1)!.bucket));
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, { max: 6 });
    redisUrl = await freshRedisUrl(11);
    store = new RedisStore({
      url: redisUrl,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    });
    await store.connect();
  });

  afterAll(async () => {
    for (const a of archivers) await a.stop().catch(() => undefined);
    for (const l of links) await l.close();
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  it('migrates idempotently and says it is plain PostgreSQL here', async () => {
    const first = await migrate(pool, silentLogger);
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const again = await migrate(pool, silentLogger);
    expect(again.applied).toEqual([]);
    expect(again.storage).toBe('postgresql');
    const rows = (await pool.query('SELECT version, name, detail FROM schema_migrations ORDER BY version'))
      .rows;
    expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(rows.at(-1).detail).toMatch(/^skipped/);
    const pk = await pool.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'trades'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
    );
    expect(pk.rows.map((r) => r.attname)).toEqual(['exchange', 'symbol', 'trade_id']);
  });

  it('archives every trade of every market exactly once, with exact candles, and the lag goes to 0', async () => {
    for (const spec of MARKETS) await write(spec, 2500 + Math.floor(rand() * 1000));
    const a = await newArchiver('test-a');
    await a.start();
    expect(a.storage).toBe('postgresql');
    // Trades keep arriving while it runs, and a market appears that did not exist at start.
    for (let round = 0; round < 5; round++) {
      for (const spec of MARKETS) await write(spec, 100 + Math.floor(rand() * 200));
    }
    await write(LATE, 1500);
    await drained(a);
    expect(a.marketKeys).toEqual([...written.keys()].sort());
    await checkArchive();
    expect(await metricSum(a.metrics.trades)).toBe(expectedTotal());
    expect(await metricSum(a.metrics.batches, { status: 'ok' })).toBeGreaterThan(10);
    expect(await metricSum(a.metrics.batches, { status: 'error' })).toBe(0);
    const r = await redisClient(redisUrl);
    for (const k of written.keys()) {
      const [exchange, symbol] = k.split(':') as [Trade['exchange'], string];
      const pending = (await r.sendCommand([
        'XPENDING',
        keys.trades(exchange, symbol),
        'archiver',
      ])) as unknown[];
      expect(Number(pending[0])).toBe(0);
    }
    await r.close();
  });

  it('replaying the whole streams (XGROUP SETID 0) inserts nothing twice', async () => {
    const a = archivers[0]!;
    const before = await totalArchived(pool);
    const insertedBefore = await metricSum(a.metrics.trades);
    const candlesBefore = (await pool.query('SELECT * FROM candles_1m ORDER BY exchange, symbol, bucket'))
      .rows;
    const statsBefore = await new HistoryReader(pool).counts();
    const okBefore = await metricSum(a.metrics.batches, { status: 'ok' });
    const r = await redisClient(redisUrl);
    for (const k of written.keys()) {
      const [exchange, symbol] = k.split(':') as [Trade['exchange'], string];
      expect(await r.sendCommand(['XGROUP', 'SETID', keys.trades(exchange, symbol), 'archiver', '0'])).toBe(
        'OK',
      );
    }
    await r.close();
    // Everything is delivered again; drained() waits until it was all re-read and acknowledged.
    await drained(a);
    // At most 250 entries per market per batch: the replay took at least this many batches.
    expect(await metricSum(a.metrics.batches, { status: 'ok' })).toBeGreaterThanOrEqual(
      okBefore + Math.floor(expectedTotal() / (250 * written.size)),
    );
    expect(await totalArchived(pool)).toBe(before);
    expect(await metricSum(a.metrics.trades)).toBe(insertedBefore);
    expect((await pool.query('SELECT * FROM candles_1m ORDER BY exchange, symbol, bucket')).rows).toEqual(
      candlesBefore,
    );
    expect(await new HistoryReader(pool).counts()).toEqual(statsBefore);
    await checkArchive();
  });

  it('two archivers on one group share the work and still archive each trade once', async () => {
    const b = await newArchiver('test-b', 100);
    await b.start();
    const c = await newArchiver('test-c', 37);
    await c.start();
    for (let round = 0; round < 10; round++) {
      for (const spec of [...MARKETS, LATE]) await write(spec, 50 + Math.floor(rand() * 150));
    }
    await drained(archivers[0]!);
    await checkArchive();
    const perArchiver = await metricSum(archivers[0]!.metrics.trades);
    expect(perArchiver).toBe(expectedTotal()); // one shared registry: the sum over all three
  });

  it('HistoryReader answers like the Redis store for the same trades', async () => {
    const history = new HistoryReader(pool);
    const stats = await store.allStats(['coinbase', 'kraken']);
    const counts = await history.counts();
    expect(counts.map(({ lastTradeId: _l, ...c }) => c)).toEqual(
      stats.map((s) => ({
        exchange: s.exchange,
        symbol: s.symbol,
        count: s.count,
        firstTs: s.firstTs,
        lastTs: s.lastTs,
      })),
    );
    for (const [k, trades] of written) {
      const [exchange, symbol] = k.split(':') as [Trade['exchange'], string];
      const first = trades[0]!.ts;
      const last = trades.at(-1)!.ts;
      const span = last - first;
      const tieTs = trades.find((t, i) => i > 0 && trades[i - 1]!.ts === t.ts)!.ts;
      const cases: [number, number, number][] = [
        [first, last, 10_000],
        [first - 1_000_000, first, 10],
        [first + Math.floor(span / 3), first + Math.floor(span / 2), 10_000],
        [first + Math.floor(span / 3), last, 77],
        [tieTs, tieTs, 100],
        [last, last + 5_000_000, 10],
        [last + 1, last + 10_000_000, 10],
        [first - 10_000_000, first - 1, 10],
      ];
      for (const [a, b, limit] of cases) {
        const want = await store.tradesInRange(exchange, symbol, a, b, limit);
        expect(await history.tradesInRange(exchange, symbol, a, b, limit)).toEqual(want);
      }
      // Unbounded and nonsense bounds never reach SQL as NaN/Infinity or out-of-range times.
      expect(
        (await history.tradesInRange(exchange, symbol, -Infinity, Infinity, 5)).map((t) => t.id),
      ).toEqual(trades.slice(0, 5).map((t) => t.id));
      expect(await history.tradesInRange(exchange, symbol, Number.NaN, last, 5)).toEqual([]);
      expect(await history.candles(exchange, symbol, -Infinity, Infinity)).toEqual(recomputeCandles(trades));
      expect(await history.candles(exchange, symbol, 1e300, 1e301)).toEqual([]);
      for (const limit of [1, 100, 5000]) {
        expect(await history.latestTrades(exchange, symbol, limit)).toEqual(
          await store.latestTrades(exchange, symbol, limit),
        );
      }
      expect(await history.oldestTradeTs(exchange, symbol)).toBe(await store.oldestTradeTs(exchange, symbol));
      const b0 = minuteBucket(first);
      const b1 = minuteBucket(last);
      for (const [from, to] of [
        [b0, b1],
        [b0 - 600, b0 + 120],
        [b0 + 60, b1 - 60],
        [b1, b1 + 3600],
        [b1 + 60, b1 + 600],
      ] as [number, number][]) {
        expect(await history.candles(exchange, symbol, from, to)).toEqual(
          await store.candles(exchange, symbol, from, to),
        );
      }
    }
  });

  it('merges candles exactly whatever order batches commit in, and a repeated batch inserts nothing', async () => {
    const spec: MarketSpec = { exchange: 'coinbase', symbol: 'ORD-USD', base: 10, priceDecimals: 3 };
    const trades = new TradeGen(spec, 99).next(900);
    const rows = trades.map((t, i) => ({ ...t, streamId: `1-${i}` }));
    const chunks = [rows.slice(600), rows.slice(0, 250), rows.slice(250, 600), rows.slice(100, 300)];
    const inserted: number[] = [];
    for (const c of chunks) inserted.push((await writeBatch(pool, c)).total);
    expect(inserted).toEqual([300, 250, 350, 0]);
    expect(await new HistoryReader(pool).candles('coinbase', 'ORD-USD', 0, 4_000_000_000)).toEqual(
      recomputeCandles(trades),
    );
    const [count] = (await new HistoryReader(pool).counts()).filter((c) => c.symbol === 'ORD-USD');
    expect(count).toEqual({
      exchange: 'coinbase',
      symbol: 'ORD-USD',
      count: 900,
      firstTs: trades[0]!.ts,
      lastTs: trades.at(-1)!.ts,
      lastTradeId: trades.at(-1)!.id,
    });
  });

  it('keeps retrying while PostgreSQL is missing, then archives everything (own group, own database)', async () => {
    const name = `${db.name}_late`;
    const url = `${db.url}_late`;
    const latePool = createPool(url, { max: 2 });
    latePool.on('error', () => undefined);
    const link = new RedisLink({ url: redisUrl, log: silentLogger, name: 'late' });
    await link.connect();
    links.push(link);
    const late = new Archiver({
      redis: link,
      pool: latePool,
      exchanges: ['coinbase', 'kraken'],
      metrics: createMetrics(),
      log: silentLogger,
      group: 'late_pg',
      consumer: 'late',
      pollIntervalMs: 20,
    });
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    try {
      await late.start(); // the database does not exist yet: logged, retried in the background
      expect(late.storage).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      await admin.query(`CREATE DATABASE ${name}`);
      await waitFor(
        'late archive complete',
        async () => (await totalArchived(latePool)) === expectedTotal(),
        60_000,
      );
      expect(late.storage).toBe('postgresql');
      await late.stop();
      expect(await metricSum(late.metrics.trades)).toBe(expectedTotal());
    } finally {
      await late.stop();
      await latePool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('stops after finishing the batch in flight', async () => {
    for (const spec of MARKETS) await write(spec, 300);
    const stops = archivers.map((a) => a.stop());
    await Promise.all(stops);
    const r = await redisClient(redisUrl);
    // Whatever was read before the stop was committed and acknowledged: nothing pending.
    for (const spec of MARKETS) {
      const pending = (await r.sendCommand([
        'XPENDING',
        keys.trades(spec.exchange, spec.symbol),
        'archiver',
      ])) as unknown[];
      expect(Number(pending[0])).toBe(0);
    }
    await r.close();
    archivers.length = 0;
    // A fresh archiver finishes the rest.
    const d = await newArchiver('test-d', 500);
    await d.start();
    await drained(d);
    await checkArchive();
  });
});
