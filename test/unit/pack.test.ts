import { describe, expect, it } from 'vitest';
import type { Trade } from '../../src/core/types.js';
import { uniform } from '../../src/sim/prng.js';
import { packTrades } from '../../src/store/redis/pack.js';

// Digit-count and half boundaries of the integer writer.
const EDGES = [
  0,
  9,
  10,
  99,
  100,
  9_999_999,
  10_000_000,
  99_999_999,
  100_000_000,
  100_000_001,
  1_000_000_000,
  1_700_000_000_000_000,
  1_700_000_000_000_009,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER - 1,
];

describe('packed trade batch', () => {
  it('is exactly the text lines the ingest script reads', () => {
    const r = uniform(11);
    const trades: Trade[] = [];
    for (let i = 0; i < 2000; i++) {
      trades.push({
        exchange: 'kraken',
        symbol: 'BTC-USD',
        id: i < EDGES.length ? EDGES[i]! : Math.floor(r() * Number.MAX_SAFE_INTEGER),
        price: (r() * 100000).toFixed(Math.floor(r() * 9)),
        size: `0.${String(Math.floor(r() * 1e8)).padStart(8, '0')}`,
        side: r() < 0.5 ? 'buy' : 'sell',
        ts: 1_700_000_000_000_000 + Math.floor(r() * 1e12),
        recvTs: 1_700_000_000_000_000 + Math.floor(r() * 1e12),
      });
    }
    const expected = trades
      .map((t) => `${t.id},${t.price},${t.size},${t.side},${t.ts},${t.recvTs}\n`)
      .join('');
    expect(packTrades(trades).toString('latin1')).toBe(expected);
    expect(packTrades([]).length).toBe(0);
  });
});
