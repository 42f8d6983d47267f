/** Canonical, exchange-independent market data shapes (CONTRACT.md section 1). */

export const EXCHANGES = ['coinbase', 'kraken'] as const;
export type Exchange = (typeof EXCHANGES)[number];

export function isExchange(value: string): value is Exchange {
  return (EXCHANGES as readonly string[]).includes(value);
}

/** Taker (aggressor) side. */
export type Side = 'buy' | 'sell';

/**
 * One exchange trade. Prices and sizes keep the exchange's exact decimal text;
 * times are integer epoch microseconds.
 */
export interface Trade {
  exchange: Exchange;
  /** Canonical `BASE-QUOTE`. */
  symbol: string;
  /** The exchange's per-market trade id; consecutive integers on both exchanges. */
  id: number;
  price: string;
  size: string;
  side: Side;
  /** Event time as the exchange stamped it, epoch µs. */
  ts: number;
  /** Local receive time of the frame that carried it, epoch µs. */
  recvTs: number;
}

/** A price level as text exactly as received: `[price, size]`. */
export type LevelText = [price: string, size: string];

/** Full replacement of one side or both sides of a book. */
export interface BookSnapshot {
  kind: 'snapshot';
  exchange: Exchange;
  symbol: string;
  bids: LevelText[];
  asks: LevelText[];
  /** Event time, epoch µs (receive time when the exchange gives none). */
  ts: number;
  /** Kraken's CRC32 of the top 10 levels after applying this message. */
  checksum?: number;
}

/** Absolute-size level changes; size zero deletes the level. Applied in array order. */
export interface BookDelta {
  kind: 'update';
  exchange: Exchange;
  symbol: string;
  bids: LevelText[];
  asks: LevelText[];
  ts: number;
  checksum?: number;
}

export type BookMessage = BookSnapshot | BookDelta;

/** One OHLCV bar; prices and volume are exact decimal strings. */
export interface Candle {
  /** Bucket start, epoch seconds, aligned to the interval in UTC. */
  bucket: number;
  o: string;
  h: string;
  l: string;
  c: string;
  v: string;
  n: number;
}

/** Identifies one market: an exchange and a canonical symbol. */
export interface MarketId {
  exchange: Exchange;
  symbol: string;
}

export function marketKey(exchange: Exchange, symbol: string): string {
  return `${exchange}:${symbol}`;
}
