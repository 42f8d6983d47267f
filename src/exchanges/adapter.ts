/**
 * The seam between the exchange-agnostic collector and one exchange. Everything about
 * an exchange's protocol lives behind this interface, in its own folder.
 */

import type { BookMessage, Exchange, Trade } from '../core/types.js';

/**
 * Receives what a frame contained. Called synchronously from `parseFrame`; the collector's
 * hot path, so implementations must not allocate per trade.
 */
export interface FrameSink {
  /** Trades in exchange order. `snapshot` = recent history sent on (re)subscribe. */
  trades(trades: Trade[], snapshot: boolean): void;
  book(message: BookMessage): void;
  /** A book message for this market could not be applied: its book must be resynced. */
  bookBroken(symbol: string, reason: string): void;
  /** A liveness signal; Coinbase heartbeats also carry the last trade id of a market. */
  heartbeat(symbol: string | undefined, lastTradeId: number | undefined): void;
  /** Subscription confirmed by the exchange. */
  subscribed(channel: string, symbols: readonly string[]): void;
  /** The exchange reported an error (e.g. a refused subscription). */
  exchangeError(message: string, symbol: string | undefined): void;
  /** Counted per message type (`websocket_messages_total{type}`); unknown types are `unknown`. */
  message(type: string): void;
  /** A well-formed message of a type we do not use: counted and ignored. */
  unknown(type: string): void;
  /** A frame or part of one could not be used. `kind` is a short stable label. */
  malformed(kind: string, detail: string): void;
}

export interface SubscribeOptions {
  /** Order-book depth; 0 = no books. */
  bookDepth: number;
}

export interface RestOptions {
  baseUrl: string;
  /** Most requests per second (the exchange's published public limit). */
  requestsPerSecond: number;
  signal?: AbortSignal;
  /** Called after each page, for progress reporting. */
  onPage?: (fetched: number) => void;
}

/**
 * Fetches the trades of one market with ids in (afterId, beforeId), both exclusive,
 * oldest first. `afterTs` is the event time (µs) of trade `afterId`, used by exchanges
 * that page by time. Pages are yielded in id order as soon as they can be released.
 * Trades the exchange does not serve any more are simply absent.
 */
export type BackfillFn = (
  symbol: string,
  afterId: number,
  afterTs: number,
  beforeId: number,
  options: RestOptions,
) => AsyncIterable<Trade[]>;

export interface ExchangeAdapter {
  readonly name: Exchange;
  /** Canonical `BTC-USD` -> the exchange's WebSocket name. */
  nativeSymbol(canonical: string): string;
  /** Messages to send right after connecting. */
  subscribeMessages(symbols: readonly string[], options: SubscribeOptions): string[];
  /** Messages that make the exchange send a fresh book snapshot for one market only. */
  resyncBookMessages(symbol: string, options: SubscribeOptions): string[];
  /** An application-level ping, for exchanges that have one. */
  pingMessage?(): string;
  /** Parses one frame; never throws. `symbols` = canonical symbols being collected. */
  parseFrame(text: string, recvTs: number, sink: FrameSink): void;
  /** Verifies a book against the checksum the exchange sent (when it sends one). */
  verifyChecksum?(book: import('../book/order-book.js').OrderBook, checksum: number): boolean;
  backfill: BackfillFn;
  /** Whether the exchange's heartbeat carries the last trade id (tail-gap detection). */
  readonly heartbeatHasLastTradeId: boolean;
}
