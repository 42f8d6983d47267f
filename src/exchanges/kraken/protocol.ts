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

/** Assets Kraken REST still names with an X prefix (`XXBT`, `XETH`); fiat gets a Z (`ZUSD`). */
const X_ASSETS = new Set(['XBT', 'ETH', 'LTC', 'XRP', 'XLM', 'XMR', 'ZEC', 'ETC', 'MLN', 'REP', 'XDG']);
const Z_ASSETS = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD']);
/** Quotes that give an X-asset pair its legacy key (`XXBTZUSD`, `XETHXXBT`). */
const LEGACY_KEY_QUOTES = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'XBT', 'ETH']);

export interface KrakenPairNames {
  /** REST result key: `XXBTZUSD`, `XETHZUSD`, or the altname (`SOLUSD`). */
  key: string;
  /** `XBTUSD`. */
  altname: string;
  /** AssetPairs `wsname`: the v1 name `XBT/USD` (v2 uses `BTC/USD`). */
  wsname: string;
  /** AssetPairs asset codes: `XXBT`, `ZUSD`, `SOL`. */
  base: string;
  quote: string;
}

/** Canonical `BTC-USD` -> Kraken REST naming (AssetPairs keys and fields). */
export function krakenPairNames(canonical: string): KrakenPairNames {
  const [base, quote] = canonical.split('-') as [string, string];
  const b = TO_LEGACY[base] ?? base;
  const q = TO_LEGACY[quote] ?? quote;
  const code = (a: string) => (X_ASSETS.has(a) ? `X${a}` : Z_ASSETS.has(a) ? `Z${a}` : a);
  const legacyKey = X_ASSETS.has(b) && b !== 'XDG' && LEGACY_KEY_QUOTES.has(q);
  return {
    key: legacyKey ? code(b) + code(q) : b + q,
    altname: b + q,
    wsname: `${b}/${q}`,
    base: code(b),
    quote: code(q),
  };
}
