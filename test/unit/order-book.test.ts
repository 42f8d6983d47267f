import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/book/order-book.js';
import type { LevelText } from '../../src/core/types.js';
import { uniform } from '../../src/sim/prng.js';

/** The obviously-correct reference: a plain map, sorted on every read by exact decimal value. */
class NaiveBook {
  bids = new Map<string, LevelText>();
  asks = new Map<string, LevelText>();
  private static key(p: string): string {
    // Exact value key via BigInt scaled to 12 decimals (prices in this test have <= 8).
    const [i, f = ''] = p.split('.');
    return (BigInt(i!) * 10n ** 12n + BigInt(f.padEnd(12, '0') || '0')).toString();
  }
  set(side: 'bids' | 'asks', p: string, s: string) {
    const m = this[side];
    if (/^0(\.0*)?$/.test(s)) m.delete(NaiveBook.key(p));
    else m.set(NaiveBook.key(p), [p, s]);
  }
  sorted(side: 'bids' | 'asks'): LevelText[] {
    const entries = [...this[side].entries()].sort((a, b) => {
      const d = BigInt(a[0]) - BigInt(b[0]);
      return d === 0n ? 0 : d < 0n ? -1 : 1;
    });
    if (side === 'bids') entries.reverse();
    return entries.map((e) => e[1]);
  }
  truncate(depth: number) {
    for (const side of ['bids', 'asks'] as const) {
      const keep = this.sorted(side).slice(0, depth);
      this[side] = new Map(keep.map((l) => [NaiveBook.key(l[0]), l]));
    }
  }
}

function randomPrice(r: () => number): string {
  // Same values in different spellings (trailing zeros, leading zeros) must hit one level.
  const ticks = 1000 + Math.floor(r() * 400);
  const base = (ticks / 100).toFixed(2);
  const spell = r();
  if (spell < 0.2) return `${base}00`;
  if (spell < 0.3) return `0${base}`;
  return base;
}

function randomSize(r: () => number): string {
  if (r() < 0.25) return r() < 0.5 ? '0' : '0.00000000';
  return (r() * 10).toFixed(8);
}

const view = (b: OrderBook, side: 'bids' | 'asks') => b[side].top().map((l) => [l.price, l.size]);

describe('order book engine vs a naive reference', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random update sequences agree (seed ${seed})`, () => {
      const r = uniform(seed);
      const book = new OrderBook();
      const ref = new NaiveBook();
      for (let step = 0; step < 3000; step++) {
        const side = r() < 0.5 ? 'bids' : 'asks';
        const p = randomPrice(r);
        const s = randomSize(r);
        book[side].set(p, s);
        ref.set(side, p, s);
        if (step % 97 === 0) {
          const depth = 5 + Math.floor(r() * 40);
          book.truncate(depth);
          ref.truncate(depth);
        }
        if (step % 50 === 0) {
          expect(view(book, 'bids')).toEqual(ref.sorted('bids'));
          expect(view(book, 'asks')).toEqual(ref.sorted('asks'));
        }
      }
      expect(view(book, 'bids')).toEqual(ref.sorted('bids'));
      expect(view(book, 'asks')).toEqual(ref.sorted('asks'));
      expect(book.bids.best()?.price).toBe(ref.sorted('bids')[0]?.[0]);
      expect(book.asks.top(3).length).toBe(Math.min(3, ref.asks.size));
    });
  }

  it('iterates best first and detects a crossed book', () => {
    const b = new OrderBook();
    b.reset(
      [
        ['99.5', '1'],
        ['100', '2'],
        ['99', '3'],
      ],
      [
        ['101', '1'],
        ['100.5', '2'],
      ],
    );
    expect(b.bids.top().map((l) => l.price)).toEqual(['100', '99.5', '99']);
    expect(b.asks.top().map((l) => l.price)).toEqual(['100.5', '101']);
    expect(b.isCrossed()).toBe(false);
    b.apply([['100.50', '1']], []);
    expect(b.isCrossed()).toBe(true);
  });

  it('truncates each side to the depth, dropping the worst levels', () => {
    const b = new OrderBook();
    b.reset(
      Array.from({ length: 30 }, (_, i) => [String(100 - i), '1'] as LevelText),
      Array.from({ length: 30 }, (_, i) => [String(200 + i), '1'] as LevelText),
    );
    b.truncate(10);
    expect(b.bids.size).toBe(10);
    expect(b.bids.top().at(-1)!.price).toBe('91');
    expect(b.asks.top().at(-1)!.price).toBe('209');
  });
});
