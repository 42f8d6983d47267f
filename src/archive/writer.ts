/**
 * One archive batch -> one PostgreSQL transaction: insert the trades (replays insert
 * nothing), merge the newly inserted ones into the 1-minute candles and the per-market
 * counts. One statement does it all (data-modifying CTEs), so a batch costs one round trip
 * inside BEGIN/COMMIT.
 *
 * Candles are exact and order-independent: only rows the INSERT actually added (RETURNING)
 * are merged, each candle keeps the trade ids of its open and close, so open = lowest
 * trade id, close = highest, high/low = max/min, volume = NUMERIC sum, trades = count,
 * whatever order batches arrive in (claimed entries of a dead consumer come late).
 */

import type { Pool } from 'pg';
import { type Exchange, marketKey } from '../core/types.js';

/** A trade as archived: the stream entry's fields plus its entry id. */
export interface ArchiveRow {
  exchange: Exchange;
  symbol: string;
  id: number;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  /** Event time, epoch µs. */
  ts: number;
  /** Receive time, epoch µs. */
  recvTs: number;
  streamId: string;
}

// `ts` and `bucket` are derived from integer µs with interval arithmetic (exact; no
// float seconds). ON CONFLICT DO NOTHING without a target: the primary key is the only
// unique constraint, (exchange, symbol, trade_id) on plain PostgreSQL and
// (exchange, symbol, trade_id, ts) on a TimescaleDB hypertable.
export const BATCH_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::numeric[], $6::text[],
                       $7::bigint[], $8::bigint[], $9::text[])
    AS u(exchange, symbol, trade_id, price, size, side, ts_us, recv_ts_us, stream_id)
), ins AS (
  INSERT INTO trades (exchange, symbol, trade_id, price, size, side, ts, ts_us, recv_ts_us, stream_id)
  SELECT exchange, symbol, trade_id, price, size, side,
         timestamptz 'epoch' + ts_us * interval '1 microsecond', ts_us, recv_ts_us, stream_id
  FROM input
  ORDER BY exchange, symbol, trade_id
  ON CONFLICT DO NOTHING
  RETURNING exchange, symbol, trade_id, price, size, ts_us
), agg AS (
  SELECT exchange, symbol, div(ts_us, 60000000) AS minute,
         (array_agg(price ORDER BY trade_id))[1] AS open,
         max(price) AS high, min(price) AS low,
         (array_agg(price ORDER BY trade_id DESC))[1] AS close,
         sum(size) AS volume, count(*)::int AS trades,
         min(trade_id) AS open_trade_id, max(trade_id) AS close_trade_id
  FROM ins
  GROUP BY exchange, symbol, div(ts_us, 60000000)
), candles AS (
  INSERT INTO candles_1m AS c
    (exchange, symbol, bucket, open, high, low, close, volume, trades, open_trade_id, close_trade_id)
  SELECT exchange, symbol, timestamptz 'epoch' + minute * interval '1 minute',
         open, high, low, close, volume, trades, open_trade_id, close_trade_id
  FROM agg
  ORDER BY exchange, symbol, minute
  ON CONFLICT (exchange, symbol, bucket) DO UPDATE SET
    open = CASE WHEN EXCLUDED.open_trade_id < c.open_trade_id THEN EXCLUDED.open ELSE c.open END,
    open_trade_id = LEAST(c.open_trade_id, EXCLUDED.open_trade_id),
    high = GREATEST(c.high, EXCLUDED.high),
    low = LEAST(c.low, EXCLUDED.low),
    close = CASE WHEN EXCLUDED.close_trade_id > c.close_trade_id THEN EXCLUDED.close ELSE c.close END,
    close_trade_id = GREATEST(c.close_trade_id, EXCLUDED.close_trade_id),
    volume = c.volume + EXCLUDED.volume,
    trades = c.trades + EXCLUDED.trades
  RETURNING 1
), per_market AS (
  SELECT exchange, symbol, count(*) AS n, min(ts_us) AS first_ts_us, max(ts_us) AS last_ts_us,
         max(trade_id) AS last_trade_id
  FROM ins
  GROUP BY exchange, symbol
), stats AS (
  INSERT INTO archive_market_stats AS s (exchange, symbol, trades, first_ts_us, last_ts_us, last_trade_id)
  SELECT exchange, symbol, n, first_ts_us, last_ts_us, last_trade_id
  FROM per_market
  ORDER BY exchange, symbol
  ON CONFLICT (exchange, symbol) DO UPDATE SET
    trades = s.trades + EXCLUDED.trades,
    first_ts_us = LEAST(s.first_ts_us, EXCLUDED.first_ts_us),
    last_ts_us = GREATEST(s.last_ts_us, EXCLUDED.last_ts_us),
    last_trade_id = GREATEST(s.last_trade_id, EXCLUDED.last_trade_id),
    updated_at = now()
  RETURNING 1
)
SELECT exchange, symbol, n::int AS n FROM per_market
`;

export interface BatchResult {
  /** Rows inserted per market key (`exchange:SYMBOL`); markets with none are absent. */
  inserted: Map<string, number>;
  total: number;
}

/**
 * Writes one batch in one transaction. Rows are sorted by key first so concurrent
 * archivers take row locks in the same order. Throws on any failure (nothing committed).
 */
export async function writeBatch(pool: Pool, rows: readonly ArchiveRow[]): Promise<BatchResult> {
  const inserted = new Map<string, number>();
  if (rows.length === 0) return { inserted, total: 0 };
  const sorted = [...rows].sort(
    (a, b) =>
      (a.exchange < b.exchange ? -1 : a.exchange > b.exchange ? 1 : 0) ||
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      a.id - b.id,
  );
  const n = sorted.length;
  const cols: string[][] = Array.from({ length: 9 }, () => new Array<string>(n));
  for (let i = 0; i < n; i++) {
    const r = sorted[i]!;
    cols[0]![i] = r.exchange;
    cols[1]![i] = r.symbol;
    cols[2]![i] = String(r.id);
    cols[3]![i] = r.price;
    cols[4]![i] = r.size;
    cols[5]![i] = r.side;
    cols[6]![i] = String(r.ts);
    cols[7]![i] = String(r.recvTs);
    cols[8]![i] = r.streamId;
  }
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const res = await client.query<{ exchange: Exchange; symbol: string; n: number }>({
        name: 'archive_batch_v1',
        text: BATCH_SQL,
        values: cols,
      });
      await client.query('COMMIT');
      let total = 0;
      for (const row of res.rows) {
        inserted.set(marketKey(row.exchange, row.symbol), row.n);
        total += row.n;
      }
      return { inserted, total };
    } catch (e) {
      await client.query('ROLLBACK').catch((re: Error) => {
        broken = re;
      });
      throw e;
    }
  } finally {
    client.release(broken);
  }
}
