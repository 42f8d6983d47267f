/** Per-minute aggregation of a trade batch (exact decimals), shared by both stores. */

import { addDecimal, canonicalDecimal, compareDecimal, sumDecimals } from '../core/decimal.js';
import type { Candle, Trade } from '../core/types.js';
import type { MinuteAggregate } from './store.js';

export const MINUTE_US = 60_000_000;

/** Epoch-second start of the minute holding `tsUs`. */
export function minuteBucket(tsUs: number): number {
  return Math.floor(tsUs / MINUTE_US) * 60;
}

/** Exact `a > b` for decimal text; the float comparison decides unless the floats tie. */
function greater(a: string, b: string, an: number, bn: number): boolean {
  return an > bn || (an === bn && a !== b && compareDecimal(a, b) > 0);
}

/**
 * Aggregates trades (in trade-id order) into one entry per minute: open = first,
 * close = last, exact high/low, exact volume sum, count.
 */
export function aggregateByMinute(trades: readonly Trade[]): MinuteAggregate[] {
  const out: MinuteAggregate[] = [];
  let cur: MinuteAggregate | undefined;
  let sizes: string[] = [];
  let hNum = 0;
  let lNum = 0;
  const close = () => {
    if (cur) cur.v = sumDecimals(sizes);
  };
  for (const t of trades) {
    const bucket = minuteBucket(t.ts);
    const p = Number(t.price);
    if (!cur || cur.bucket !== bucket) {
      close();
      // A batch is in id order, so a bucket seen before cannot come back except with
      // out-of-order exchange timestamps; merge into it rather than start a twin.
      const existing = out.find((a) => a.bucket === bucket);
      if (existing) {
        cur = existing;
        sizes = [existing.v];
        hNum = Number(existing.h);
        lNum = Number(existing.l);
      } else {
        cur = { bucket, o: t.price, h: t.price, l: t.price, c: t.price, v: '0', n: 0 };
        sizes = [];
        hNum = p;
        lNum = p;
        out.push(cur);
      }
    }
    if (greater(t.price, cur.h, p, hNum)) {
      cur.h = t.price;
      hNum = p;
    }
    if (greater(cur.l, t.price, lNum, p)) {
      cur.l = t.price;
      lNum = p;
    }
    cur.c = t.price;
    cur.n++;
    sizes.push(t.size);
  }
  close();
  return out;
}

/** Merges a batch aggregate into a stored candle (the stored one came first). */
export function mergeCandle(stored: Candle | undefined, agg: MinuteAggregate): Candle {
  if (!stored)
    return {
      bucket: agg.bucket,
      o: agg.o,
      h: agg.h,
      l: agg.l,
      c: agg.c,
      v: canonicalDecimal(agg.v),
      n: agg.n,
    };
  return {
    bucket: stored.bucket,
    o: stored.o,
    h: compareDecimal(agg.h, stored.h) > 0 ? agg.h : stored.h,
    l: compareDecimal(agg.l, stored.l) < 0 ? agg.l : stored.l,
    c: agg.c,
    v: addDecimal(stored.v, agg.v),
    n: stored.n + agg.n,
  };
}
