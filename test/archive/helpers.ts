/** Shared helpers of the archive tests: a private PostgreSQL database, trade generators, checks. */

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { compareDecimal, sumDecimals } from '../../src/core/decimal.js';
import type { Candle, Exchange, Trade } from '../../src/core/types.js';
import { uniform } from '../../src/sim/prng.js';
import { aggregateByMinute, minuteBucket } from '../../src/store/aggregate.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';

export const PG_BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `ap_archive_test_<random>`; drop() removes it (closing leftover sessions). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ap_archive_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `${PG_BASE_URL}/${name}`,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Deterministic PRNG (the simulators' mulberry32). */
export const rng = uniform;

export interface MarketSpec {
  exchange: Exchange;
  symbol: string;
  base: number;
  /** Fraction digits of prices (toFixed keeps trailing zeros: `60000.10`). */
  priceDecimals: number;
}

export const T0 = Date.UTC(2024, 0, 1, 12, 0, 0) * 1000;

/** A generator of consecutive trades of one market with exact decimal text and rising event time. */
export class TradeGen {
  private nextId: number;
  private ts: number;
  private price: number;
  private readonly rand: () => number;

  constructor(
    readonly spec: MarketSpec,
    seed: number,
    firstId = 1000,
    startTs = T0,
  ) {
    this.rand = rng(seed);
    this.nextId = firstId;
    this.ts = startTs;
    this.price = spec.base;
  }

  next(n: number): Trade[] {
    const out: Trade[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.rand();
      // Some trades share a timestamp (one match hitting several orders).
      this.ts += r < 0.15 ? 0 : Math.floor(r * 200_000);
      this.price = Math.max(1, this.price + (this.rand() - 0.5) * this.spec.base * 0.001);
      const sizeKind = this.rand();
      const size =
        sizeKind < 0.1
          ? String(1 + Math.floor(this.rand() * 5))
          : sizeKind < 0.4
            ? `0.${String(Math.floor(this.rand() * 1e4)).padStart(4, '0')}0000`
            : `0.${String(Math.floor(this.rand() * 1e8)).padStart(8, '0')}`;
      out.push({
        exchange: this.spec.exchange,
        symbol: this.spec.symbol,
        id: this.nextId++,
        price: this.price.toFixed(this.spec.priceDecimals),
        size: size === '0.00000000' ? '0.00000001' : size,
        side: this.rand() < 0.5 ? 'buy' : 'sell',
        ts: this.ts,
        recvTs: this.ts + 100 + Math.floor(this.rand() * 900),
      });
    }
    return out;
  }
}

/** Writes trades through the real write path (RedisStore.ingestTrades + aggregateByMinute), random batch sizes. */
export async function ingest(
  store: RedisStore,
  trades: readonly Trade[],
  rand: () => number,
  maxBatch = 200,
) {
  const first = trades[0];
  if (!first) return;
  await store.addSymbol(first.exchange, first.symbol);
  for (let i = 0; i < trades.length; ) {
    const n = 1 + Math.floor(rand() * maxBatch);
    const batch = trades.slice(i, i + n);
    const r = await store.ingestTrades(first.exchange, first.symbol, batch, aggregateByMinute(batch));
    if (r.written !== batch.length) throw new Error(`ingest wrote ${r.written} of ${batch.length}`);
    i += n;
  }
}

/** 1-minute candles recomputed from trades (exact decimals), ascending. */
export function recomputeCandles(trades: readonly Trade[]): Candle[] {
  const byMinute = new Map<number, Trade[]>();
  for (const t of [...trades].sort((a, b) => a.id - b.id)) {
    const b = minuteBucket(t.ts);
    let list = byMinute.get(b);
    if (!list) {
      list = [];
      byMinute.set(b, list);
    }
    list.push(t);
  }
  return [...byMinute.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bucket, ts]) => {
      let h = ts[0]!.price;
      let l = ts[0]!.price;
      for (const t of ts) {
        if (compareDecimal(t.price, h) > 0) h = t.price;
        if (compareDecimal(t.price, l) < 0) l = t.price;
      }
      return {
        bucket,
        o: ts[0]!.price,
        h,
        l,
        c: ts.at(-1)!.price,
        v: sumDecimals(ts.map((t) => t.size)),
        n: ts.length,
      };
    });
}

/** Every archived trade of one market, in trade-id order, as the stream fields. */
export async function archivedTrades(pool: pg.Pool, exchange: string, symbol: string) {
  const r = await pool.query<{
    trade_id: string;
    price: string;
    size: string;
    side: string;
    ts_us: string;
    recv_ts_us: string;
    stream_id: string;
    ts_exact: boolean;
  }>(
    `SELECT trade_id, price::text AS price, size::text AS size, side, ts_us, recv_ts_us, stream_id,
            (extract(epoch FROM ts) * 1000000)::bigint = ts_us AS ts_exact
     FROM trades WHERE exchange = $1 AND symbol = $2 ORDER BY trade_id`,
    [exchange, symbol],
  );
  return r.rows;
}

export async function totalArchived(pool: pg.Pool): Promise<number> {
  const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM trades');
  return Number(r.rows[0]!.n);
}

/** Sum of a prom-client metric's values, optionally filtered by labels. */
export async function metricSum(
  metric: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}
