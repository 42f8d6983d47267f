/**
 * The API's read-only view of the store. Any failure of a store call becomes a
 * StoreUnavailableError (answered 503 `storage_unavailable`), so a store problem is never
 * mistaken for a bug of the API (500) and its details never reach the client.
 */

import type { Candle, Exchange } from '../core/types.js';
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

export class StoreReader {
  constructor(readonly store: Store) {}

  latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    return guard(() => this.store.latestTrades(exchange, symbol, limit));
  }

  tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]> {
    return guard(() => this.store.tradesInRange(exchange, symbol, startUs, endUs, limit));
  }

  candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]> {
    return guard(() => this.store.candles(exchange, symbol, fromBucket, toBucket));
  }

  marketStats(exchange: Exchange, symbol: string): Promise<MarketStats | undefined> {
    return guard(() => this.store.marketStats(exchange, symbol));
  }

  symbols(exchange: Exchange): Promise<string[]> {
    return guard(() => this.store.symbols(exchange));
  }

  allStats(exchanges: readonly Exchange[]): Promise<MarketStats[]> {
    return guard(() => this.store.allStats(exchanges));
  }

  bookTop(exchange: Exchange, symbol: string): Promise<BookTop | undefined> {
    return guard(() => this.store.bookTop(exchange, symbol));
  }
}
