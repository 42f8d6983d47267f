/** Kraken WebSocket v2 and REST shapes (see shared protocols/kraken.md). */

/** v2 trade entry. Numbers are JSON numbers on the wire; we read their text. */
export interface KrTrade {
  symbol: string;
  side: 'buy' | 'sell';
  price: number;
  qty: number;
  ord_type: 'limit' | 'market';
  trade_id: number;
  timestamp: string;
}

export interface KrBookLevel {
  price: number;
  qty: number;
}

export interface KrBookData {
  symbol: string;
  bids: KrBookLevel[];
  asks: KrBookLevel[];
  checksum: number;
  timestamp?: string;
}

/** The depths Kraken v2 accepts for `book`. */
export const KRAKEN_BOOK_DEPTHS = [10, 25, 100, 500, 1000] as const;

/** REST `Trades` row: price, volume, time (s), side b|s (taker), ordertype m|l, misc, trade_id. */
export type KrRestTradeRow = [string, string, number, 'b' | 's', 'm' | 'l', string, number];

/** Legacy asset codes used by Kraken REST pair names. */
const TO_LEGACY: Readonly<Record<string, string>> = { BTC: 'XBT', DOGE: 'XDG' };

/** Canonical `BTC-USD` -> v2 WebSocket `BTC/USD`. */
export function krakenWsSymbol(canonical: string): string {
  return canonical.replace('-', '/');
}

/** Canonical `BTC-USD` -> REST altname `XBTUSD`. */
export function krakenRestPair(canonical: string): string {
  const [base, quote] = canonical.split('-') as [string, string];
  return (TO_LEGACY[base] ?? base) + (TO_LEGACY[quote] ?? quote);
}
