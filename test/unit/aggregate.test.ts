import { describe, expect, it } from 'vitest';
import { compareDecimal, sumDecimals } from '../../src/core/decimal.js';
import type { Trade } from '../../src/core/types.js';
import { aggregateByMinute, mergeCandle, minuteBucket } from '../../src/store/aggregate.js';

const t = (id: number, price: string, size: string, ts: number): Trade => ({
  exchange: 'kraken',
  symbol: 'BTC-USD',
  id,
  price,
  size,
  side: 'buy',
  ts,
  recvTs: ts,
});

describe('per-minute aggregation', () => {
  it('is exact where floats are not', () => {
    // 0.1 + 0.2 and prices a float cannot tell apart.
    const a = aggregateByMinute([
      t(1, '1.00000000000000000001', '0.1', 60_000_000),
      t(2, '1.00000000000000000002', '0.2', 60_500_000),
      t(3, '1', '0.3', 61_000_000),
    ]);
    expect(a).toEqual([
      {
        bucket: 60,
        o: '1.00000000000000000001',
        h: '1.00000000000000000002',
        l: '1',
        c: '1',
        v: '0.6',
        n: 3,
      },
    ]);
  });

  it('splits minutes and matches a naive recomputation on random data', () => {
    let seed = 3;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const trades: Trade[] = [];
    let ts = 1_700_000_000_000_000;
    for (let i = 0; i < 5000; i++) {
      ts += Math.floor(rnd() * 200_000);
      trades.push(t(i, (100 + rnd() * 10).toFixed(Math.floor(rnd() * 4) + 1), (rnd() * 3).toFixed(8), ts));
    }
    const aggs = aggregateByMinute(trades);
    const groups = new Map<number, Trade[]>();
    for (const x of trades) groups.set(minuteBucket(x.ts), [...(groups.get(minuteBucket(x.ts)) ?? []), x]);
    expect(aggs.map((a) => a.bucket)).toEqual([...groups.keys()]);
    for (const a of aggs) {
      const g = groups.get(a.bucket)!;
      const prices = g.map((x) => x.price).sort(compareDecimal);
      expect({ ...a, h: undefined, l: undefined }).toEqual({
        bucket: a.bucket,
        o: g[0]!.price,
        h: undefined,
        l: undefined,
        c: g.at(-1)!.price,
        v: sumDecimals(g.map((x) => x.size)),
        n: g.length,
      });
      // Equal values may be spelled differently ("110.0" / "110.00"): compare values.
      expect(compareDecimal(a.h, prices.at(-1)!)).toBe(0);
      expect(compareDecimal(a.l, prices[0]!)).toBe(0);
    }
    // Merging two halves equals aggregating the whole.
    const half = Math.floor(trades.length / 2);
    const first = aggregateByMinute(trades.slice(0, half));
    const second = aggregateByMinute(trades.slice(half));
    const merged = new Map(first.map((a) => [a.bucket, mergeCandle(undefined, a)]));
    for (const a of second) merged.set(a.bucket, mergeCandle(merged.get(a.bucket), a));
    for (const a of aggs) {
      const m = merged.get(a.bucket)!;
      expect([m.o, m.c, m.n, m.v]).toEqual([a.o, a.c, a.n, a.v]);
      expect(compareDecimal(m.h, a.h)).toBe(0);
      expect(compareDecimal(m.l, a.l)).toBe(0);
    }
  });
});
