/**
 * The latest trades of a market, the API's hottest read. Decoding a 100-entry stream read
 * costs far more than checking whether anything changed, so the last answer per market is
 * kept and served again while the market's stats (last trade id, count) are unchanged.
 * When they moved, only the entries after the newest one kept are read and appended (a
 * few per millisecond under load, instead of the whole tail again); a full read happens
 * when the cache is empty, older than MAX_AGE_MS, shallower than asked, or when the
 * stats went backwards (the store lost data) or more than the whole tail is new. The
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

  /** `lastStreamId`: the stream entry of the newest trade ('' = none). */
  constructor(
    readonly parts: readonly string[],
    readonly lastStreamId = '',
  ) {}

  /** This list with `newer` (serialised, oldest first) appended, keeping the latest `depth`. */
  append(newer: readonly string[], lastStreamId: string, depth: number): TradeList {
    if (newer.length === 0) return this;
    const keep = Math.max(0, Math.min(this.parts.length, depth - newer.length));
    const parts = this.parts.slice(this.parts.length - keep);
    for (const p of newer) parts.push(p);
    return new TradeList(parts, lastStreamId);
  }

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
    const serialized = (trades: readonly StoredTrade[]) => toTradeOut(trades).map(serialize);
    const read = (depth: number) =>
      this.reader
        .latestTrades(exchange, symbol, depth)
        .then((trades) => new TradeList(serialized(trades), trades.at(-1)?.streamId ?? ''));
    if (limit > CACHE_MAX_LIMIT) return (await read(limit)).tail(limit);
    const arrived = ++this.clock;
    const stats = await this.reader.marketStats(exchange, symbol);
    // Stats are written with the trades, atomically: none means no trade yet.
    if (!stats || stats.count === 0) return EMPTY.tail(limit);
    const key = `${exchange}:${symbol}`;
    const e = this.entries.get(key);
    const fresh = e !== undefined && e.depth >= limit && Date.now() - e.at < MAX_AGE_MS;
    if (fresh && e.lastTradeId === stats.lastTradeId && e.count === stats.count) {
      return e.list.tail(limit);
    }
    const running = this.fetches.get(key);
    if (running !== undefined && running.started > arrived && running.depth >= limit) {
      return (await running.promise).tail(limit);
    }
    // Only newer trades to add: read what follows the newest one kept.
    const incremental =
      fresh && e.list.lastStreamId !== '' && stats.count > e.count && stats.lastTradeId > e.lastTradeId;
    const depth = incremental ? e.depth : limit;
    const promise = incremental
      ? this.reader.tradesAfter(exchange, symbol, e.list.lastStreamId, depth).then((newer) =>
          // A whole tail of new trades may be followed by more: read the tail instead.
          newer.length >= depth
            ? read(depth)
            : e.list.append(serialized(newer), newer.at(-1)?.streamId ?? e.list.lastStreamId, depth),
        )
      : read(depth);
    const fetch: Fetch = { started: ++this.clock, depth, promise };
    this.fetches.set(key, fetch);
    try {
      const list = await fetch.promise;
      // Tagged with the stats read before the fetch: if they still match later, nothing
      // was written since, so `list` is exactly the stream's tail.
      this.entries.set(key, {
        lastTradeId: stats.lastTradeId,
        count: stats.count,
        depth,
        list,
        // An appended list keeps the age of the full read it started from: MAX_AGE_MS
        // bounds how long answers go without a full re-read.
        at: incremental ? e.at : Date.now(),
      });
      return list.tail(limit);
    } finally {
      if (this.fetches.get(key) === fetch) this.fetches.delete(key);
    }
  }
}
