/**
 * The API's read-only view of the store. Any failure of a store call becomes a
 * StoreUnavailableError (answered 503 `storage_unavailable`), so a store problem is never
 * mistaken for a bug of the API (500) and its details never reach the client.
 *
 * With a PostgreSQL history (DATABASE_URL), ranges older than what the Redis stream still
 * holds are answered from it transparently, in the same shapes.
 */

import type { HistoryReader, MarketCount } from '../archive/history.js';
import type { Candle, Exchange } from '../core/types.js';
import { minuteBucket } from '../store/aggregate.js';
import {
  type BookTop,
  type MarketStats,
  type Store,
  type StoredTrade,
  StoreUnavailableError,
} from '../store/store.js';

function toUnavailable(err: unknown): StoreUnavailableError {
  if (err instanceof StoreUnavailableError) return err;
  const e = new StoreUnavailableError(`store read failed: ${(err as Error)?.message ?? String(err)}`);
  e.cause = err;
  return e;
}

function unavailable(err: unknown): never {
  throw toUnavailable(err);
}

function guard<T>(read: () => Promise<T>): Promise<T> {
  try {
    return read().catch(unavailable);
  } catch (err) {
    return Promise.reject(toUnavailable(err));
  }
}

/** Stats of one market over Redis and the archive: the wider span, the larger count. */
export interface MarketSpan extends MarketStats {
  archived: number;
}

export class StoreReader {
  constructor(
    readonly store: Store,
    readonly history?: HistoryReader | undefined,
  ) {}

  latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    return guard(() => this.store.latestTrades(exchange, symbol, limit));
  }

  tradesAfter(
    exchange: Exchange,
    symbol: string,
    afterStreamId: string,
    limit: number,
  ): Promise<StoredTrade[]> {
    return guard(() => this.store.tradesAfter(exchange, symbol, afterStreamId, limit));
  }

  async tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]> {
    const history = this.history;
    if (!history) return guard(() => this.store.tradesInRange(exchange, symbol, startUs, endUs, limit));
    // Redis holds [horizon, now]; older trades come from the archive.
    const horizon = await guard(() => this.store.oldestTradeTs(exchange, symbol));
    if (horizon !== undefined && startUs >= horizon) {
      return guard(() => this.store.tradesInRange(exchange, symbol, startUs, endUs, limit));
    }
    const older = await guard(() =>
      history.tradesInRange(
        exchange,
        symbol,
        startUs,
        horizon === undefined ? endUs : Math.min(endUs, horizon),
        limit,
      ),
    );
    if (older.length >= limit || horizon === undefined || endUs < horizon) return older;
    // From the horizon itself: trades sharing its timestamp may be in either; ids tell them apart.
    const lastId = older.at(-1)?.id ?? -1;
    const newer = await guard(() => this.store.tradesInRange(exchange, symbol, horizon, endUs, limit));
    return older.concat(newer.filter((t) => t.id > lastId)).slice(0, limit);
  }

  async candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]> {
    const history = this.history;
    const recent = await guard(() => this.store.candles(exchange, symbol, fromBucket, toBucket));
    if (!history) return recent;
    // Redis candles start with the first trade Redis was given, or where candle retention
    // trimmed them; earlier minutes are archived.
    const stats = await this.marketStats(exchange, symbol);
    const redisFrom =
      stats && stats.count > 0
        ? Math.max(minuteBucket(stats.firstTs), stats.candlesFrom ?? Number.NEGATIVE_INFINITY)
        : Number.POSITIVE_INFINITY;
    if (fromBucket > redisFrom) return recent;
    const older = await guard(() =>
      history.candles(exchange, symbol, fromBucket, Math.min(toBucket, redisFrom)),
    );
    // The first Redis minute may be partial (Redis started mid-minute after losing its data):
    // the archive's copy of it, when it has at least as many trades, is the complete one.
    const boundaryOld = older.find((c) => c.bucket === redisFrom);
    const boundaryNew = recent.find((c) => c.bucket === redisFrom);
    const boundary =
      boundaryOld && boundaryNew
        ? boundaryOld.n >= boundaryNew.n
          ? boundaryOld
          : boundaryNew
        : (boundaryOld ?? boundaryNew);
    return [
      ...older.filter((c) => c.bucket < redisFrom),
      ...(boundary ? [boundary] : []),
      ...recent.filter((c) => c.bucket > redisFrom),
    ];
  }

  /** Stats merged with the archive's counts (OHLCV bounds, summary). */
  async marketSpan(exchange: Exchange, symbol: string): Promise<MarketSpan | undefined> {
    const stats = await this.marketStats(exchange, symbol);
    if (!this.history) return stats && { ...stats, archived: 0 };
    const archived = (await this.archivedCounts()).find(
      (c) => c.exchange === exchange && c.symbol === symbol,
    );
    return merge(exchange, symbol, stats, archived);
  }

  /** Every market's stats merged with the archive's counts. */
  async allSpans(exchanges: readonly Exchange[]): Promise<MarketSpan[]> {
    const stats = await this.allStats(exchanges);
    if (!this.history) return stats.map((s) => ({ ...s, archived: 0 }));
    const archived = (await this.archivedCounts()).filter((c) => exchanges.includes(c.exchange));
    const out: MarketSpan[] = [];
    const seen = new Set<string>();
    for (const s of [...stats, ...archived]) {
      const k = `${s.exchange}:${s.symbol}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const m = merge(
        s.exchange,
        s.symbol,
        stats.find((x) => x.exchange === s.exchange && x.symbol === s.symbol),
        archived.find((x) => x.exchange === s.exchange && x.symbol === s.symbol),
      );
      if (m) out.push(m);
    }
    return out;
  }

  private archivedCounts(): Promise<MarketCount[]> {
    const history = this.history;
    return history ? guard(() => history.counts()) : Promise.resolve([]);
  }

  marketStats(exchange: Exchange, symbol: string): Promise<MarketStats | undefined> {
    return guard(() => this.store.marketStats(exchange, symbol));
  }

  async symbols(exchange: Exchange): Promise<string[]> {
    const live = await guard(() => this.store.symbols(exchange));
    if (!this.history) return live;
    const archived = (await this.archivedCounts())
      .filter((c) => c.exchange === exchange)
      .map((c) => c.symbol);
    return [...new Set([...live, ...archived])].sort();
  }

  allStats(exchanges: readonly Exchange[]): Promise<MarketStats[]> {
    return guard(() => this.store.allStats(exchanges));
  }

  bookTop(exchange: Exchange, symbol: string): Promise<BookTop | undefined> {
    return guard(() => this.store.bookTop(exchange, symbol));
  }
}

function merge(
  exchange: Exchange,
  symbol: string,
  stats: MarketStats | undefined,
  archived: MarketCount | undefined,
): MarketSpan | undefined {
  if (!stats && !archived) return undefined;
  if (!archived) return { ...stats!, archived: 0 };
  if (!stats) return { ...archived, exchange, symbol, archived: archived.count };
  return {
    exchange,
    symbol,
    // Redis counts every trade it was given (trimming does not lower it); after a Redis
    // reset the archive may know more.
    count: Math.max(stats.count, archived.count),
    firstTs: Math.min(stats.firstTs, archived.firstTs),
    lastTs: Math.max(stats.lastTs, archived.lastTs),
    lastTradeId: Math.max(stats.lastTradeId, archived.lastTradeId),
    archived: archived.count,
  };
}
