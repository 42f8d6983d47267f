/**
 * The store: one interface, two implementations (Redis Streams for production, an
 * in-process store when REDIS_URL is unset). The collector writes through it and the
 * API reads only through it, so both behave the same on either.
 */

import type { Candle, Exchange, LevelText, Trade } from '../core/types.js';

/** Per-minute aggregate of a batch, computed by the writer so the store merges, not rescans. */
export type MinuteAggregate = Candle;

export interface IngestResult {
  /**
   * Trades appended (ids above the stored last_trade_id); -1 = batch refused because the
   * store's last trade id is below `expectedPrev` (it lost acknowledged trades); -2 =
   * refused because it is below `chainAfter` (the pipelined batch before this one is not
   * in the store).
   */
  written: number;
  /** Trades skipped because their id was already written. */
  duplicates: number;
  /** The market's last trade id after this batch (-1 when none). */
  lastTradeId: number;
}

/** `stats:{ex:SYM}` */
export interface MarketStats {
  exchange: Exchange;
  symbol: string;
  count: number;
  firstTs: number;
  lastTs: number;
  lastTradeId: number;
  /**
   * Set once candle retention trimmed this market: the 1-minute candles below this bucket
   * (epoch s) were deleted, so older minutes come from the archive (when there is one).
   */
  candlesFrom?: number;
}

/** A trade as read back, with the id of its stream entry. */
export interface StoredTrade extends Trade {
  streamId: string;
}

/** One entry of `book:{ex:SYM}`. */
export interface BookEntry {
  type: 'snapshot' | 'update' | 'book_reset';
  bids: LevelText[];
  asks: LevelText[];
  seq: number;
  ts: number;
}

export interface StoredBookEntry extends BookEntry {
  streamId: string;
}

/** The current top of one market's book, readable in one call. */
export interface BookTop {
  exchange: Exchange;
  symbol: string;
  seq: number;
  ts: number;
  bids: LevelText[];
  asks: LevelText[];
}

/** One collector process's view of one exchange connection, published for API-only processes. */
export interface CollectorReport {
  exchange: Exchange;
  /** Which process (host-pid, shard). */
  owner: string;
  connected: boolean;
  /** Last frame of any kind, heartbeats included (epoch ms; null = none yet). */
  lastMessageAt: number | null;
  staleLimitMs: number;
  /** When the report was written (epoch ms). */
  updatedAt: number;
}

export type StreamName = 'trades' | 'book';

export interface StreamCursor {
  stream: StreamName;
  exchange: Exchange;
  symbol: string;
  /** Return entries strictly after this id (`$` = only new ones, `0` = from the start). */
  afterId: string;
}

export type StreamItem =
  | { stream: 'trades'; exchange: Exchange; symbol: string; entry: StoredTrade }
  | { stream: 'book'; exchange: Exchange; symbol: string; entry: StoredBookEntry };

export interface Store {
  readonly kind: 'redis' | 'embedded';

  connect(): Promise<void>;
  close(): Promise<void>;
  /** True when the store answers (a cheap round trip). */
  ping(): Promise<boolean>;
  /** Last known reachability without a round trip. */
  readonly healthy: boolean;

  // ---- writer side ----
  /**
   * Atomically appends the trades whose id is above the stored last trade id (in the
   * order given, which must be ascending), merges the minute aggregates into the 1m
   * candles and updates stats. Idempotent: replaying a batch writes nothing.
   * `expectedPrev`: the last id the writer saw acknowledged (refused with -1 when the
   * store holds state but less than that). `chainAfter`: the last id of the batch sent
   * just before this one, not yet acknowledged (refused with -2 unless the store already
   * holds it, state or not), so pipelined batches can never overtake a failed one.
   */
  ingestTrades(
    exchange: Exchange,
    symbol: string,
    trades: readonly Trade[],
    aggregates: readonly MinuteAggregate[],
    expectedPrev?: number,
    chainAfter?: number,
  ): Promise<IngestResult>;
  marketStats(exchange: Exchange, symbol: string): Promise<MarketStats | undefined>;
  addSymbol(exchange: Exchange, symbol: string): Promise<void>;
  appendBook(exchange: Exchange, symbol: string, entry: BookEntry, top: BookTop | undefined): Promise<void>;
  recordGap(
    exchange: Exchange,
    symbol: string,
    fromTradeId: number,
    toTradeId: number,
    reason: string,
  ): Promise<void>;
  publishSignal(symbol: string, fields: Record<string, string>): Promise<void>;
  /**
   * Candle retention: deletes the market's 1-minute candles with bucket below
   * `beforeBucket` (epoch s, minute-aligned) and records the bound as the stats'
   * `candlesFrom`. Returns how many were deleted (0 for a market without stats).
   */
  trimCandles(exchange: Exchange, symbol: string, beforeBucket: number): Promise<number>;
  /** Publishes this process's collector state (read by `/health` of API-only processes). */
  reportCollectors(reports: readonly CollectorReport[]): Promise<void>;

  // ---- reader side ----
  /** The latest `limit` trades, oldest first. */
  latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]>;
  /** Trades stored after the stream entry `afterStreamId`, oldest first, at most `limit`. */
  tradesAfter(
    exchange: Exchange,
    symbol: string,
    afterStreamId: string,
    limit: number,
  ): Promise<StoredTrade[]>;
  /** Trades with event time in [startUs, endUs], oldest first, at most `limit`. */
  tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]>;
  /** Event time of the oldest trade still held in the stream (retention horizon). */
  oldestTradeTs(exchange: Exchange, symbol: string): Promise<number | undefined>;
  /** 1-minute candles with bucket in [fromBucket, toBucket] (epoch s), ascending. */
  candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]>;
  symbols(exchange: Exchange): Promise<string[]>;
  /** Stats of every market of the given exchanges that has any. */
  allStats(exchanges: readonly Exchange[]): Promise<MarketStats[]>;
  bookTop(exchange: Exchange, symbol: string): Promise<BookTop | undefined>;
  /** Every collector report published (stale ones included: the reader judges). */
  collectorReports(): Promise<CollectorReport[]>;
  /** The latest `limit` entries of `signals:{SYM}`, oldest first. */
  signals(symbol: string, limit: number): Promise<{ id: string; fields: Record<string, string> }[]>;
  gaps(
    exchange: Exchange,
    symbol: string,
  ): Promise<{ fromTradeId: number; toTradeId: number; reason: string }[]>;

  /** Entries after the cursors, at most `count` per stream, waiting up to `blockMs` when none. */
  readStreams(cursors: readonly StreamCursor[], count: number, blockMs: number): Promise<StreamItem[]>;
  /** The id of the newest entry of a stream (`0-0` when empty). */
  lastStreamId(stream: StreamName, exchange: Exchange, symbol: string): Promise<string>;
}

export class StoreUnavailableError extends Error {
  constructor(message = 'store unavailable') {
    super(message);
  }
}
