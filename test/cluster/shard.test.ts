/**
 * `alphapulse collect --shard i/n` (SHARD): n processes started with 0/n .. n-1/n own every
 * market exactly once, and the assignment does not change between calls or processes.
 */

import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { marketsFor, shardOf } from '../../src/collector/markets.js';
import { loadConfig } from '../../src/core/config.js';
import { EXCHANGES, type MarketId } from '../../src/core/types.js';

const BASES = [
  'BTC',
  'ETH',
  'SOL',
  'XRP',
  'ADA',
  'DOGE',
  'DOT',
  'LTC',
  'LINK',
  'AVAX',
  'MATIC',
  'ATOM',
  'UNI',
];
const QUOTES = ['USD', 'EUR', 'GBP', 'USDT'];
const SYMBOLS = BASES.flatMap((b) => QUOTES.map((q) => `${b}-${q}`)); // 52 symbols, 104 markets

const id = (m: MarketId) => `${m.exchange}:${m.symbol}`;

describe('--shard i/n', () => {
  const all = marketsFor(EXCHANGES, SYMBOLS).map(id);

  it('without a shard (or 0/1), a process owns every market', () => {
    expect(all.length).toBe(EXCHANGES.length * SYMBOLS.length);
    expect(new Set(all).size).toBe(all.length);
    expect(marketsFor(EXCHANGES, SYMBOLS, { index: 0, count: 1 }).map(id)).toEqual(all);
  });

  for (const n of [2, 3, 4, 5, 7, 8, 16]) {
    it(`n = ${n}: the shards are pairwise disjoint, their union is every market, and stable`, () => {
      const shards = Array.from({ length: n }, (_, i) =>
        marketsFor(EXCHANGES, SYMBOLS, { index: i, count: n }).map(id),
      );
      const owner = new Map<string, number>();
      shards.forEach((list, i) => {
        for (const m of list) {
          // Disjoint: no market is owned twice.
          expect(owner.has(m), `${m} in shards ${owner.get(m)} and ${i}`).toBe(false);
          owner.set(m, i);
        }
      });
      // Union = all.
      expect([...owner.keys()].sort()).toEqual([...all].sort());
      // Stable: the same answer on every call, and it is crc32("exchange:SYMBOL") mod n,
      // which any other process (or language) computes the same way.
      for (let i = 0; i < n; i++) {
        expect(marketsFor(EXCHANGES, SYMBOLS, { index: i, count: n }).map(id)).toEqual(shards[i]);
      }
      for (const [m, i] of owner) {
        const [exchange, symbol] = m.split(':') as [MarketId['exchange'], string];
        expect(shardOf({ exchange, symbol }, n)).toBe(i);
        expect(crc32(m) % n).toBe(i);
      }
      // With 104 markets every shard gets some work.
      for (const list of shards) expect(list.length).toBeGreaterThan(0);
    });
  }

  it('does not depend on the order of EXCHANGES or SYMBOLS, nor on the other symbols listed', () => {
    const n = 4;
    for (let i = 0; i < n; i++) {
      const a = new Set(marketsFor(EXCHANGES, SYMBOLS, { index: i, count: n }).map(id));
      const b = new Set(
        marketsFor([...EXCHANGES].reverse(), [...SYMBOLS].reverse(), { index: i, count: n }).map(id),
      );
      expect(b).toEqual(a);
      // A process configured with fewer symbols owns the same ones among them.
      const few = SYMBOLS.filter((_, k) => k % 3 === 0);
      const c = marketsFor(EXCHANGES, few, { index: i, count: n }).map(id);
      expect(c.every((m) => a.has(m))).toBe(true);
    }
  });

  it('SHARD / --shard accepts i/n with 0 <= i < n only', () => {
    expect(loadConfig({ env: {}, flags: { SHARD: '2/3' } }).SHARD).toEqual({ index: 2, count: 3 });
    expect(loadConfig({ env: { SHARD: '0/1' } }).SHARD).toEqual({ index: 0, count: 1 });
    for (const bad of ['3/3', '-1/2', '1/0', '1', 'a/b']) {
      expect(() => loadConfig({ env: { SHARD: bad } })).toThrow(/SHARD/);
    }
  });
});
