/**
 * Static facts of one simulated market: start price, tick size and trade id base, per
 * exchange. Tick sizes follow the real venues (Coinbase BTC-USD quote_increment 0.01;
 * Kraken BTC/USD pair_decimals 1, ETH/USD 2) with a fallback by price magnitude.
 */

import { splitSymbol } from '../core/symbols.js';
import type { Exchange } from '../core/types.js';
import { deriveSeed } from './prng.js';

/** Sizes are always 8 decimals (base_increment 0.00000001, Kraken lot_decimals 8). */
export const SIZE_DECIMALS = 8;

export interface MarketSpec {
  exchange: Exchange;
  /** Canonical `BASE-QUOTE`. */
  symbol: string;
  base: string;
  quote: string;
  /** Prices are integers in ticks of 10^-priceDecimals. */
  priceDecimals: number;
  /** Start of the random walk, in ticks. */
  startTicks: number;
  /** Id of the first trade made. */
  firstTradeId: number;
  /** Mean trade size in 1e-8 units (bigger for cheaper assets, like real flow). */
  meanSizeUnits: number;
}

const START_PRICES: Readonly<Record<string, number>> = { BTC: 60_000, ETH: 3_000, SOL: 150 };
const DEFAULT_START_PRICE = 100;

/** Known price precisions; anything else falls back to `fallbackDecimals`. */
const PRICE_DECIMALS: Readonly<Record<Exchange, Readonly<Record<string, number>>>> = {
  coinbase: { 'BTC-USD': 2, 'ETH-USD': 2, 'SOL-USD': 2, 'BTC-EUR': 2, 'ETH-EUR': 2 },
  kraken: { 'BTC-USD': 1, 'ETH-USD': 2, 'SOL-USD': 2, 'BTC-EUR': 1, 'ETH-EUR': 2 },
};

function fallbackDecimals(exchange: Exchange, price: number): number {
  if (exchange === 'coinbase') return price >= 1 ? 2 : price >= 0.01 ? 4 : 6;
  return price >= 10_000 ? 1 : price >= 100 ? 2 : price >= 1 ? 4 : 6;
}

export function marketSpec(exchange: Exchange, symbol: string, seed: number, firstId?: number): MarketSpec {
  const [base, quote] = splitSymbol(symbol);
  const price = START_PRICES[base] ?? DEFAULT_START_PRICE;
  const priceDecimals = PRICE_DECIMALS[exchange][symbol] ?? fallbackDecimals(exchange, price);
  const h = deriveSeed(seed, exchange, symbol, 'ids');
  // Real-looking id ranges: Coinbase ids are in the hundreds of millions, Kraken's in the millions.
  const firstTradeId =
    firstId ?? (exchange === 'coinbase' ? 100_000_000 + (h % 10_000_000) : 10_000_000 + (h % 1_000_000));
  return {
    exchange,
    symbol,
    base,
    quote,
    priceDecimals,
    startTicks: Math.round(price * 10 ** priceDecimals),
    firstTradeId,
    meanSizeUnits: Math.round(Math.min(10, 1000 / price) * 1e8),
  };
}
