/**
 * Redis key names (CONTRACT.md section 4). Every per-market key carries the hash tag
 * `{exchange:SYMBOL}` so a market lives on one Redis Cluster slot. Keys are only built
 * from validated exchanges and canonical symbols.
 */

import type { Exchange } from '../core/types.js';

const tag = (exchange: Exchange, symbol: string) => `{${exchange}:${symbol}}`;

export const keys = {
  trades: (exchange: Exchange, symbol: string) => `trades:${tag(exchange, symbol)}`,
  book: (exchange: Exchange, symbol: string) => `book:${tag(exchange, symbol)}`,
  /** Current top of book as one JSON string (an addition to the contract's layout). */
  bookTop: (exchange: Exchange, symbol: string) => `booktop:${tag(exchange, symbol)}`,
  candles: (exchange: Exchange, symbol: string) => `candles:${tag(exchange, symbol)}:1m`,
  stats: (exchange: Exchange, symbol: string) => `stats:${tag(exchange, symbol)}`,
  symbols: (exchange: Exchange) => `symbols:${exchange}`,
  gaps: (exchange: Exchange, symbol: string) => `gaps:${tag(exchange, symbol)}`,
  signals: (symbol: string) => `signals:{${symbol}}`,
  /** Hash: `exchange@owner` -> JSON collector report (an addition to the contract's layout). */
  collectorHealth: () => 'collectors:health',
};
