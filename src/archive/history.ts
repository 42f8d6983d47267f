/**
 * Reads the PostgreSQL history in the store's shapes, so the API can answer ranges older
 * than the Redis retention with the same answers.
 *
 * Decimal text: NUMERIC keeps the display scale of the text it was given, and prices and
 * sizes are archived from the stream's exact strings, so `price`/`size` (and a candle's
 * open/high/low/close, which are trade prices) come back exactly as Redis holds them
 * (`'43210.50'` stays `'43210.50'`). A candle's volume is a sum: it is returned canonical
 * (no trailing fractional zeros, no trailing dot), like the Redis candle hash. Nothing goes
 * through a float.
 */

import type { Pool } from 'pg';
import { canonicalDecimal } from '../core/decimal.js';
import type { Logger } from '../core/logger.js';
import type { Candle, Exchange } from '../core/types.js';
import { type StoredTrade, StoreUnavailableError } from '../store/store.js';
import { createPool } from './pg.js';

/** Archived trade count and time span of one market. */
export interface MarketCount {
  exchange: Exchange;
  symbol: string;
  count: number;
  /** Event time of the oldest / newest archived trade, epoch µs. */
  firstTs: number;
  lastTs: number;
  lastTradeId: number;
}

interface TradeRow {
  trade_id: string;
  price: string;
  size: string;
  side: 'buy' | 'sell';
  ts_us: string;
  recv_ts_us: string;
  stream_id: string | null;
}

interface CandleRow {
  bucket: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

const TRADE_COLUMNS =
  'trade_id, price::text AS price, size::text AS size, side, ts_us, recv_ts_us, stream_id';

// The `ts` bounds repeat the `ts_us` ones so a TimescaleDB hypertable can skip chunks.
const TS_FROM = "timestamptz 'epoch' + $3::bigint * interval '1 microsecond'";
const TS_TO = "timestamptz 'epoch' + $4::bigint * interval '1 microsecond'";

export class HistoryReader {
  constructor(
    private readonly pool: Pool,
    private readonly ownsPool = false,
  ) {}

  /** A reader with its own pool for DATABASE_URL; close() ends it. */
  static fromUrl(
    url: string,
    options: { log?: Logger; max?: number; queryTimeoutMs?: number } = {},
  ): HistoryReader {
    const pool = createPool(url, {
      max: options.max ?? 4,
      queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
      applicationName: 'alphapulse-history',
      ...(options.log ? { log: options.log } : {}),
    });
    return new HistoryReader(pool, true);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** Trades with event time in [startUs, endUs], oldest first (ties by trade id), at most `limit`. */
  async tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]> {
    const from = clampInt(startUs, 'ceil');
    const to = clampInt(endUs, 'floor');
    const n = clampInt(limit, 'floor');
    if (from === undefined || to === undefined || n === undefined || to < from || n <= 0) return [];
    const rows = await this.query<TradeRow>(
      'history_range',
      `SELECT ${TRADE_COLUMNS} FROM trades
       WHERE exchange = $1 AND symbol = $2 AND ts_us >= $3 AND ts_us <= $4 AND ts >= ${TS_FROM} AND ts <= ${TS_TO}
       ORDER BY ts_us, trade_id LIMIT $5`,
      [exchange, symbol, String(from), String(to), n],
    );
    return rows.map((r) => toTrade(exchange, symbol, r));
  }

  /** The latest `limit` archived trades, oldest first. */
  async latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    const n = clampInt(limit, 'floor');
    if (n === undefined || n <= 0) return [];
    const rows = await this.query<TradeRow>(
      'history_latest',
      `SELECT ${TRADE_COLUMNS} FROM trades WHERE exchange = $1 AND symbol = $2
       ORDER BY ts_us DESC, trade_id DESC LIMIT $3`,
      [exchange, symbol, n],
    );
    return rows.reverse().map((r) => toTrade(exchange, symbol, r));
  }

  /** Event time of the oldest archived trade of a market, epoch µs. */
  async oldestTradeTs(exchange: Exchange, symbol: string): Promise<number | undefined> {
    const rows = await this.query<{ ts_us: string }>(
      'history_oldest',
      'SELECT ts_us FROM trades WHERE exchange = $1 AND symbol = $2 ORDER BY ts_us LIMIT 1',
      [exchange, symbol],
    );
    return rows[0] ? Number(rows[0].ts_us) : undefined;
  }

  /** 1-minute candles with bucket in [fromBucket, toBucket] (epoch s), ascending. */
  async candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]> {
    const from = clampInt(fromBucket, 'ceil', MAX_BUCKET_S);
    const to = clampInt(toBucket, 'floor', MAX_BUCKET_S);
    if (from === undefined || to === undefined || to < from) return [];
    const rows = await this.query<CandleRow>(
      'history_candles',
      `SELECT extract(epoch FROM bucket)::bigint AS bucket, open::text AS open, high::text AS high,
              low::text AS low, close::text AS close, volume::text AS volume, trades
       FROM candles_1m
       WHERE exchange = $1 AND symbol = $2
         AND bucket >= timestamptz 'epoch' + $3::bigint * interval '1 second'
         AND bucket <= timestamptz 'epoch' + $4::bigint * interval '1 second'
       ORDER BY bucket`,
      [exchange, symbol, String(from), String(to)],
    );
    return rows.map((r) => ({
      bucket: Number(r.bucket),
      o: r.open,
      h: r.high,
      l: r.low,
      c: r.close,
      v: canonicalDecimal(r.volume),
      n: r.trades,
    }));
  }

  /** Archived trade count and time span per market (from archive_market_stats: O(markets)). */
  async counts(): Promise<MarketCount[]> {
    const rows = await this.query<{
      exchange: Exchange;
      symbol: string;
      trades: string;
      first_ts_us: string;
      last_ts_us: string;
      last_trade_id: string;
    }>(
      'history_counts',
      `SELECT exchange, symbol, trades, first_ts_us, last_ts_us, last_trade_id
       FROM archive_market_stats ORDER BY exchange, symbol`,
      [],
    );
    return rows.map((r) => ({
      exchange: r.exchange,
      symbol: r.symbol,
      count: Number(r.trades),
      firstTs: Number(r.first_ts_us),
      lastTs: Number(r.last_ts_us),
      lastTradeId: Number(r.last_trade_id),
    }));
  }

  /** True when the database answers. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async query<R extends object>(name: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      const res = await this.pool.query<R>({ name, text, values });
      return res.rows;
    } catch (e) {
      throw new StoreUnavailableError(`postgres ${name} failed: ${(e as Error).message}`);
    }
  }
}

/** Bucket bounds are clamped to what µs can express (±2^53 µs, years 1685..2255). */
const MAX_BUCKET_S = Math.floor(Number.MAX_SAFE_INTEGER / 1_000_000);

/**
 * An integer within ±max (infinite bounds clamped, fractions rounded inwards), so the SQL
 * never sees NaN/Infinity nor leaves the timestamp range; undefined for NaN.
 */
function clampInt(v: number, round: 'floor' | 'ceil', max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (Number.isNaN(v)) return undefined;
  const r = round === 'floor' ? Math.floor(v) : Math.ceil(v);
  return Math.max(-max, Math.min(max, r));
}

function toTrade(exchange: Exchange, symbol: string, r: TradeRow): StoredTrade {
  return {
    streamId: r.stream_id ?? '',
    exchange,
    symbol,
    id: Number(r.trade_id),
    price: r.price,
    size: r.size,
    side: r.side,
    ts: Number(r.ts_us),
    recvTs: Number(r.recv_ts_us),
  };
}
