/** The markets a collector process owns: EXCHANGES x SYMBOLS, optionally one shard of them. */

import { crc32 } from 'node:zlib';
import type { Exchange, MarketId } from '../core/types.js';

/**
 * Stable shard assignment: a market belongs to shard crc32("exchange:SYMBOL") mod n, so
 * n processes started with --shard 0/n .. n-1/n cover every market exactly once.
 */
export function shardOf(market: MarketId, count: number): number {
  return crc32(`${market.exchange}:${market.symbol}`) % count;
}

export function marketsFor(
  exchanges: readonly Exchange[],
  symbols: readonly string[],
  shard: { index: number; count: number } = { index: 0, count: 1 },
): MarketId[] {
  const out: MarketId[] = [];
  for (const exchange of exchanges) {
    for (const symbol of symbols) {
      const m = { exchange, symbol };
      if (shard.count <= 1 || shardOf(m, shard.count) === shard.index) out.push(m);
    }
  }
  return out;
}
