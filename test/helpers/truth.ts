/**
 * Ground truth for end-to-end tests, read independently of the collector's own code:
 * every trade the simulated exchange made, paged from its REST API, compared trade by
 * trade with what landed in the Redis stream.
 */

import { compareDecimal } from '../../src/core/decimal.js';
import { redisClient } from './redis.js';

export interface TruthTrade {
  id: number;
  price: string;
  size: string;
  /** Taker side. */
  side: 'buy' | 'sell';
}

export interface TruthFile {
  [exchange: string]: { [symbol: string]: { count: number; first_trade_id: string; last_trade_id: string } };
}

export async function coinbaseTrades(rest: string, symbol: string): Promise<TruthTrade[]> {
  const out: TruthTrade[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await fetch(`${rest}/products/${symbol}/trades?limit=1000${after ? `&after=${after}` : ''}`);
    if (!res.ok) throw new Error(`coinbase REST ${res.status}`);
    const page = (await res.json()) as {
      trade_id: number;
      price: string;
      size: string;
      side: 'buy' | 'sell';
    }[];
    if (page.length === 0) break;
    for (const t of page)
      out.push({ id: t.trade_id, price: t.price, size: t.size, side: t.side === 'buy' ? 'sell' : 'buy' });
    after = res.headers.get('cb-after') ?? String(page.at(-1)!.trade_id);
  }
  return out.sort((a, b) => a.id - b.id);
}

export async function krakenTrades(rest: string, symbol: string): Promise<TruthTrade[]> {
  const pair = symbol.replace('-', '').replace(/^BTC/, 'XBT');
  const out: TruthTrade[] = [];
  const seen = new Set<number>();
  let since = '0';
  for (;;) {
    const res = await fetch(`${rest}/0/public/Trades?pair=${pair}&since=${since}&count=1000`);
    const body = (await res.json()) as { error: string[]; result: Record<string, unknown> };
    if (body.error.length > 0) throw new Error(`kraken REST ${body.error.join(',')}`);
    const key = Object.keys(body.result).find((k) => k !== 'last')!;
    const rows = body.result[key] as [string, string, number, string, string, string, number][];
    let added = 0;
    for (const r of rows) {
      if (seen.has(r[6])) continue;
      seen.add(r[6]);
      out.push({ id: r[6], price: r[0], size: r[1], side: r[3] === 'b' ? 'buy' : 'sell' });
      added++;
    }
    const last = body.result.last as string;
    if (rows.length === 0 || added === 0 || last === since) break;
    since = last;
  }
  return out.sort((a, b) => a.id - b.id);
}

export async function simTrades(exchange: string, rest: string, symbol: string): Promise<TruthTrade[]> {
  return exchange === 'coinbase' ? coinbaseTrades(rest, symbol) : krakenTrades(rest, symbol);
}

export interface StreamTrade extends TruthTrade {
  exchange: string;
  symbol: string;
  ts: number;
}

/** Anything with node-redis' `xRange` (a client, a cluster client). */
export interface XRangeReader {
  xRange(
    key: string,
    start: string,
    end: string,
    options: { COUNT: number },
  ): Promise<{ id: string; message: unknown }[]>;
}

/** Every entry of `trades:{ex:SYM}` read through `c`, in stream order. */
export async function readTradeStream(
  c: XRangeReader,
  exchange: string,
  symbol: string,
): Promise<StreamTrade[]> {
  const key = `trades:{${exchange}:${symbol}}`;
  const out: StreamTrade[] = [];
  let start = '-';
  for (;;) {
    const batch = await c.xRange(key, start, '+', { COUNT: 10_000 });
    if (batch.length === 0) break;
    for (const e of batch) {
      const m = e.message as Record<string, string>;
      out.push({
        exchange: m.exchange!,
        symbol: m.symbol!,
        id: Number(m.trade_id),
        price: m.price!,
        size: m.size!,
        side: m.side as 'buy' | 'sell',
        ts: Number(m.ts),
      });
    }
    start = `(${batch.at(-1)!.id}`;
  }
  return out;
}

/** Every entry of `trades:{ex:SYM}`, in stream order. */
export async function streamTrades(
  redisUrl: string,
  exchange: string,
  symbol: string,
): Promise<StreamTrade[]> {
  const c = await redisClient(redisUrl);
  try {
    return await readTradeStream(c, exchange, symbol);
  } finally {
    await c.close();
  }
}

export interface Comparison {
  stored: number;
  expected: number;
  missing: number[];
  duplicates: number;
  outOfOrder: number;
  mismatched: number[];
}

/** Trade-by-trade comparison; prices and sizes compared as decimal values. */
export function compare(
  stream: readonly StreamTrade[],
  truth: readonly TruthTrade[],
  fromId?: number,
): Comparison {
  const expected = fromId === undefined ? truth : truth.filter((t) => t.id >= fromId);
  const byId = new Map(stream.map((t) => [t.id, t]));
  const missing: number[] = [];
  const mismatched: number[] = [];
  for (const t of expected) {
    const s = byId.get(t.id);
    if (!s) missing.push(t.id);
    else if (
      compareDecimal(s.price, t.price) !== 0 ||
      compareDecimal(s.size, t.size) !== 0 ||
      s.side !== t.side
    ) {
      mismatched.push(t.id);
    }
  }
  let outOfOrder = 0;
  for (let i = 1; i < stream.length; i++) if (stream[i]!.id <= stream[i - 1]!.id) outOfOrder++;
  return {
    stored: stream.length,
    expected: expected.length,
    missing,
    duplicates: stream.length - byId.size,
    outOfOrder,
    mismatched,
  };
}
