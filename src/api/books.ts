/**
 * Order-book answers: one exchange's top of book, every exchange's levels merged, and the
 * cross-exchange spread. Prices are compared and subtracted as exact decimals; they become
 * numbers only in the answer.
 */

import { compareDecimal, subtractDecimal } from '../core/decimal.js';
import { usToSeconds } from '../core/time.js';
import type { LevelText } from '../core/types.js';
import type { BookTop } from '../store/store.js';
import type {
  ConsolidatedResponse,
  ExchangeQuote,
  OrderbookResponse,
  SpreadResponse,
  TaggedLevel,
} from './schemas.js';

function levels(list: readonly LevelText[], depth: number): { price: number; size: number }[] {
  const n = Math.min(depth, list.length);
  const out: { price: number; size: number }[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const l = list[i]!;
    out[i] = { price: Number(l[0]), size: Number(l[1]) };
  }
  return out;
}

export function orderbookAnswer(top: BookTop, depth: number): OrderbookResponse {
  return {
    symbol: top.symbol,
    exchange: top.exchange,
    timestamp: usToSeconds(top.ts),
    sequence: top.seq,
    bids: levels(top.bids, depth),
    asks: levels(top.asks, depth),
  };
}

interface Tagged {
  price: string;
  size: string;
  exchange: string;
}

function tag(top: BookTop, side: 'bids' | 'asks', depth: number): Tagged[] {
  const list = top[side];
  const n = Math.min(depth, list.length);
  const out: Tagged[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { price: list[i]![0], size: list[i]![1], exchange: top.exchange };
  return out;
}

const out = (l: Tagged): TaggedLevel => ({
  price: Number(l.price),
  size: Number(l.size),
  exchange: l.exchange,
});
const byExchange = (a: Tagged, b: Tagged) => (a.exchange < b.exchange ? -1 : a.exchange > b.exchange ? 1 : 0);

/** Books given in a fixed exchange order; levels best first, ties by exchange name. */
export function consolidatedAnswer(
  symbol: string,
  tops: readonly BookTop[],
  depth: number,
): ConsolidatedResponse {
  const bids = tops.flatMap((t) => tag(t, 'bids', depth));
  const asks = tops.flatMap((t) => tag(t, 'asks', depth));
  bids.sort((a, b) => compareDecimal(b.price, a.price) || byExchange(a, b));
  asks.sort((a, b) => compareDecimal(a.price, b.price) || byExchange(a, b));
  return {
    symbol,
    timestamp: latestTs(tops),
    exchanges: tops.map((t) => t.exchange),
    bids: bids.slice(0, depth).map(out),
    asks: asks.slice(0, depth).map(out),
    best_bid: bids[0] ? out(bids[0]) : null,
    best_ask: asks[0] ? out(asks[0]) : null,
  };
}

function latestTs(tops: readonly BookTop[]): number | null {
  let ts = -1;
  for (const t of tops) if (t.ts > ts) ts = t.ts;
  return ts < 0 ? null : usToSeconds(ts);
}

export function spreadAnswer(symbol: string, tops: readonly BookTop[]): SpreadResponse {
  const exchanges: Record<string, ExchangeQuote> = {};
  let bestBid: Tagged | undefined;
  let bestAsk: Tagged | undefined;
  const bids: Tagged[] = [];
  const asks: Tagged[] = [];
  for (const t of tops) {
    const b = t.bids[0];
    const a = t.asks[0];
    exchanges[t.exchange] = {
      bid: b ? Number(b[0]) : null,
      ask: a ? Number(a[0]) : null,
      bid_size: b ? Number(b[1]) : null,
      ask_size: a ? Number(a[1]) : null,
      spread: a && b ? Number(subtractDecimal(a[0], b[0])) : null,
      timestamp: usToSeconds(t.ts),
    };
    if (b) {
      const tb = { price: b[0], size: b[1], exchange: t.exchange };
      bids.push(tb);
      if (!bestBid || compareDecimal(tb.price, bestBid.price) > 0) bestBid = tb;
    }
    if (a) {
      const ta = { price: a[0], size: a[1], exchange: t.exchange };
      asks.push(ta);
      if (!bestAsk || compareDecimal(ta.price, bestAsk.price) < 0) bestAsk = ta;
    }
  }
  // Crossed: some exchange bids above another exchange's ask.
  let crossed = false;
  for (const b of bids) {
    for (const a of asks) {
      if (a.exchange !== b.exchange && compareDecimal(b.price, a.price) > 0) crossed = true;
    }
  }
  let spread: number | null = null;
  let spreadBps: number | null = null;
  if (bestBid && bestAsk) {
    const diff = subtractDecimal(bestAsk.price, bestBid.price);
    spread = Number(diff);
    const mid = (Number(bestAsk.price) + Number(bestBid.price)) / 2;
    spreadBps = mid > 0 ? Math.round((spread / mid) * 10_000 * 10_000) / 10_000 : null;
  }
  return {
    symbol,
    timestamp: latestTs(tops),
    exchanges,
    best_bid: bestBid ? out(bestBid) : null,
    best_ask: bestAsk ? out(bestAsk) : null,
    spread,
    spread_bps: spreadBps,
    crossed,
  };
}
