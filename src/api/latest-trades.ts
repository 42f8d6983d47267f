/**
 * The latest trades of a market, the API's hottest read. Decoding a 100-entry stream read
 * costs far more than checking whether anything changed, so the last answer per market is
 * kept and served again while the market's stats (last trade id, count) are unchanged. The
 * stats are read after the request arrived, so an answer never misses a trade the store
 * had acknowledged before that; concurrent misses share one fetch when it started after
 * they arrived.
 */

import { usToSeconds } from '../core/time.js';
import type { Exchange } from '../core/types.js';
import type { StoredTrade } from '../store/store.js';
import type { TradeOut } from './schemas.js';
import type { StoreReader } from './store-reader.js';

/** Largest `limit` served from the cache (bigger ones read the store directly). */
export const CACHE_MAX_LIMIT = 1000;
/** An entry is re-read after this long even when the stats did not move. */
const MAX_AGE_MS = 5000;

export function toTradeOut(trades: readonly StoredTrade[]): TradeOut[] {
  const out: TradeOut[] = new Array(trades.length);
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    out[i] = {
      timestamp: usToSeconds(t.ts),
      price: Number(t.price),
      volume: Number(t.size),
      side: t.side,
      trade_id: String(t.id),
      symbol: t.symbol,
      exchange: t.exchange,
    };
  }
  return out;
}

/** Trades already serialised (one JSON text per trade, oldest first). */
export class TradeList {
  private joined: { limit: number; text: string } | undefined;

  constructor(readonly parts: readonly string[]) {}

  /** The latest `limit` trades as a JSON array text. */
  tail(limit: number): { json: string; count: number } {
    const n = Math.min(limit, this.parts.length);
    if (this.joined?.limit !== n) {
      const from = this.parts.length - n;
      this.joined = { limit: n, text: `[${(from === 0 ? this.parts : this.parts.slice(from)).join(',')}]` };
    }
    return { json: this.joined.text, count: n };
  }
}

export type TradeSerializer = (trade: TradeOut) => string;

interface Entry {
  lastTradeId: number;
  count: number;
  /** The `limit` it was read with: it answers any limit up to this. */
  depth: number;
  list: TradeList;
  at: number;
}

interface Fetch {
  /** Logical time the fetch started (see `clock`). */
  started: number;
  depth: number;
  promise: Promise<TradeList>;
}

const EMPTY = new TradeList([]);

export class LatestTrades {
  private readonly entries = new Map<string, Entry>();
  private readonly fetches = new Map<string, Fetch>();
  /** Orders request arrivals and fetch starts. */
  private clock = 0;

  constructor(private readonly reader: StoreReader) {}

  /** The latest `limit` trades of the market, serialised with `serialize`. */
  async get(
    exchange: Exchange,
    symbol: string,
    limit: number,
    serialize: TradeSerializer,
  ): Promise<{ json: string; count: number }> {
    const read = () =>
      this.reader
        .latestTrades(exchange, symbol, limit)
        .then((trades) => new TradeList(toTradeOut(trades).map(serialize)));
    if (limit > CACHE_MAX_LIMIT) return (await read()).tail(limit);
    const arrived = ++this.clock;
    const stats = await this.reader.marketStats(exchange, symbol);
    // Stats are written with the trades, atomically: none means no trade yet.
    if (!stats || stats.count === 0) return EMPTY.tail(limit);
    const key = `${exchange}:${symbol}`;
    const e = this.entries.get(key);
    if (
      e !== undefined &&
      e.lastTradeId === stats.lastTradeId &&
      e.count === stats.count &&
      e.depth >= limit &&
      Date.now() - e.at < MAX_AGE_MS
    ) {
      return e.list.tail(limit);
    }
    const running = this.fetches.get(key);
    if (running !== undefined && running.started > arrived && running.depth >= limit) {
      return (await running.promise).tail(limit);
    }
    const fetch: Fetch = { started: ++this.clock, depth: limit, promise: read() };
    this.fetches.set(key, fetch);
    try {
      const list = await fetch.promise;
      // Tagged with the stats read before the fetch: if they still match later, nothing
      // was written since, so `list` is exactly the stream's tail.
      this.entries.set(key, {
        lastTradeId: stats.lastTradeId,
        count: stats.count,
        depth: limit,
        list,
        at: Date.now(),
      });
      return list.tail(limit);
    } finally {
      if (this.fetches.get(key) === fetch) this.fetches.delete(key);
    }
  }
}
