/**
 * OHLCV bars of any interval, rolled up exactly from the store's 1-minute candles: open =
 * first minute's open, close = last minute's close, high/low compared as exact decimals,
 * volume an exact decimal sum (a number only at the end), trades summed. A bar exists only
 * when at least one minute in it had a trade.
 */

import { compareDecimal, sumDecimals } from '../core/decimal.js';
import type { Candle, Exchange } from '../core/types.js';
import type { BarOut } from './schemas.js';
import type { StoreReader } from './store-reader.js';

const MINUTE = 60;

/** Start (epoch s) of the bar of length `intervalS` holding epoch second `t`. */
export function barStart(t: number, intervalS: number): number {
  return Math.floor(t / intervalS) * intervalS;
}

/** Rolls ascending 1-minute candles up into bars; `nowS` decides `complete`. */
export function rollUp(candles: readonly Candle[], intervalS: number, nowS: number): BarOut[] {
  const out: BarOut[] = [];
  if (intervalS === MINUTE) {
    for (const c of candles) out.push(toBar(c.bucket, c.o, c.h, c.l, c.c, c.v, c.n, intervalS, nowS));
    return out;
  }
  let i = 0;
  while (i < candles.length) {
    const first = candles[i]!;
    const start = barStart(first.bucket, intervalS);
    const end = start + intervalS;
    let high = first.h;
    let low = first.l;
    let trades = first.n;
    let last = first;
    const volumes = [first.v];
    for (i++; i < candles.length; i++) {
      const c = candles[i]!;
      if (c.bucket >= end) break;
      if (compareDecimal(c.h, high) > 0) high = c.h;
      if (compareDecimal(c.l, low) < 0) low = c.l;
      trades += c.n;
      volumes.push(c.v);
      last = c;
    }
    out.push(toBar(start, first.o, high, low, last.c, sumDecimals(volumes), trades, intervalS, nowS));
  }
  return out;
}

function toBar(
  start: number,
  o: string,
  h: string,
  l: string,
  c: string,
  v: string,
  n: number,
  intervalS: number,
  nowS: number,
): BarOut {
  return {
    timestamp: start,
    open: Number(o),
    high: Number(h),
    low: Number(l),
    close: Number(c),
    volume: Number(v),
    trades: n,
    complete: start + intervalS <= nowS,
  };
}

export interface BarQuery {
  exchange: Exchange;
  symbol: string;
  intervalS: number;
  limit: number;
  /** Inclusive bounds on the bar start, epoch µs; undefined = the latest `limit` bars. */
  range: { startUs: number; endUs: number } | undefined;
  nowS: number;
}

/**
 * Reads only the minutes needed: the market's stats bound the search to where trades
 * exist, then windows of `limit` bars are read (growing when bars are sparse) until
 * `limit` bars are found or the bounds are reached.
 */
export async function readBars(reader: StoreReader, q: BarQuery): Promise<BarOut[]> {
  const stats = await reader.marketSpan(q.exchange, q.symbol);
  if (!stats || stats.count === 0) return [];
  const iv = q.intervalS;
  // One bar of slack on each side tolerates event times slightly out of trade-id order.
  const lowest = barStart(Math.floor(stats.firstTs / 1_000_000), iv) - iv;
  const highest = barStart(Math.floor(stats.lastTs / 1_000_000), iv) + iv;

  if (q.range === undefined) {
    // Latest bars: walk back from the newest bar.
    let bars: BarOut[] = [];
    let hi = highest;
    let width = q.limit;
    while (hi >= lowest) {
      const lo = Math.max(lowest, hi - (width - 1) * iv);
      const got = rollUp(await reader.candles(q.exchange, q.symbol, lo, hi + iv - MINUTE), iv, q.nowS);
      bars = bars.length === 0 ? got : got.concat(bars);
      if (bars.length >= q.limit) break;
      hi = lo - iv;
      width *= 2;
    }
    return bars.length > q.limit ? bars.slice(bars.length - q.limit) : bars;
  }

  // A range: bars whose start is in [start, end], oldest first.
  const ivUs = iv * 1_000_000;
  const first = Math.max(Math.ceil(q.range.startUs / ivUs) * iv, lowest);
  const last = Math.min(Math.floor(q.range.endUs / ivUs) * iv, highest);
  const bars: BarOut[] = [];
  let lo = first;
  let width = q.limit;
  while (lo <= last) {
    const hi = Math.min(last, lo + (width - 1) * iv);
    const got = rollUp(await reader.candles(q.exchange, q.symbol, lo, hi + iv - MINUTE), iv, q.nowS);
    for (const b of got) bars.push(b);
    if (bars.length >= q.limit) break;
    lo = hi + iv;
    width *= 2;
  }
  return bars.length > q.limit ? bars.slice(0, q.limit) : bars;
}
