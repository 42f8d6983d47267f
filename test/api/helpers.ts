/**
 * API test helpers: a deterministic data set written through the store's real write path
 * (ingestTrades + aggregateByMinute, addSymbol, appendBook), a real API server on
 * 127.0.0.1:0, and a small HTTP client.
 */

import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Exchange, LevelText, Trade } from '../../src/core/types.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { uniform } from '../../src/sim/prng.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import type { BookTop, Store } from '../../src/store/store.js';

export const prng = uniform;

/** Decimal text with at most `decimals` digits and no trailing zeros (as exchanges send them). */
function text(units: number, decimals: number): string {
  const s = (units / 10 ** decimals).toFixed(decimals);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export interface Segment {
  /** First event time, epoch µs. */
  startUs: number;
  count: number;
  /** Mean gap between trades, µs (actual gaps vary 0.2x..1.8x, with µs jitter). */
  meanStepUs: number;
}

/** Trades of one market over the given segments (gaps between segments have no trades). */
export function makeTrades(
  exchange: Exchange,
  symbol: string,
  firstId: number,
  basePrice: number,
  priceDecimals: number,
  segments: Segment[],
  seed: number,
): Trade[] {
  const rnd = prng(seed);
  const out: Trade[] = [];
  let id = firstId;
  let priceUnits = Math.round(basePrice * 10 ** priceDecimals);
  for (const seg of segments) {
    let ts = seg.startUs;
    for (let i = 0; i < seg.count; i++) {
      priceUnits += Math.round((rnd() - 0.5) * 40);
      const sizeUnits = 1 + Math.floor(rnd() * 250_000_000);
      out.push({
        exchange,
        symbol,
        id,
        price: text(priceUnits, priceDecimals),
        size: text(sizeUnits, 8),
        side: rnd() < 0.5 ? 'buy' : 'sell',
        ts,
        recvTs: ts + 1500,
      });
      id++;
      ts += Math.max(1, Math.round(seg.meanStepUs * (0.2 + rnd() * 1.6)) + Math.floor(rnd() * 1000));
    }
  }
  return out;
}

export interface DataSet {
  trades: Map<string, Trade[]>;
  /** Symbols added to `symbols:<exchange>` without any trade. */
  emptySymbols: { exchange: Exchange; symbol: string }[];
  books: BookTop[];
  /** Wall clock (epoch µs) when the recent market's last trade happened. */
  recentEndUs: number;
}

const us = (iso: string) => Date.parse(iso) * 1000;
const lv = (levels: [string, string][]): LevelText[] => levels;

/**
 * The shared data set:
 * - coinbase BTC-USD: 1500 trades from 2024-01-01 21:03 UTC, a 2-hour gap across midnight,
 *   then 1200 more (so 1h/4h/1d bars have holes and a day boundary);
 * - coinbase ETH-USD: 800 trades over ~3 h; kraken BTC-USD: 600 trades (ids near 9e7);
 * - kraken ETH-USD: 300 trades ending 2 s before the call (bars still in progress);
 * - coinbase SOL-EUR: a symbol with no trades; books for BTC-USD on both exchanges
 *   (crossed: kraken's bid above coinbase's ask) and ETH-USD on coinbase only.
 */
export function dataSet(nowUs = Date.now() * 1000): DataSet {
  const trades = new Map<string, Trade[]>();
  const cbBtcA = makeTrades(
    'coinbase',
    'BTC-USD',
    1001,
    43210.5,
    2,
    [{ startUs: us('2024-01-01T21:03:07.123Z') + 456, count: 1500, meanStepUs: 3_000_000 }],
    1,
  );
  const lastA = cbBtcA.at(-1)!;
  const cbBtcB = makeTrades(
    'coinbase',
    'BTC-USD',
    lastA.id + 1,
    Number(lastA.price),
    2,
    [{ startUs: lastA.ts + 2 * 3_600_000_000 + 17_000_001, count: 1200, meanStepUs: 2_000_000 }],
    2,
  );
  trades.set('coinbase:BTC-USD', [...cbBtcA, ...cbBtcB]);
  trades.set(
    'coinbase:ETH-USD',
    makeTrades(
      'coinbase',
      'ETH-USD',
      500_001,
      2250.25,
      2,
      [{ startUs: us('2024-01-01T22:40:00Z') + 999_999, count: 800, meanStepUs: 13_000_000 }],
      3,
    ),
  );
  trades.set(
    'kraken:BTC-USD',
    makeTrades(
      'kraken',
      'BTC-USD',
      90_000_001,
      43215.1,
      1,
      [{ startUs: us('2024-01-01T23:30:00Z') + 1, count: 600, meanStepUs: 7_000_000 }],
      4,
    ),
  );
  const recentStep = 20_000_000;
  const recentCount = 300;
  const recentEndUs = nowUs - 2_000_000;
  const generated = makeTrades(
    'kraken',
    'ETH-USD',
    7_000_001,
    2251.5,
    2,
    [{ startUs: recentEndUs - recentCount * recentStep, count: recentCount, meanStepUs: recentStep }],
    5,
  );
  // Shift so the last trade is exactly at recentEndUs.
  const shift = recentEndUs - generated.at(-1)!.ts;
  trades.set(
    'kraken:ETH-USD',
    generated.map((t) => ({ ...t, ts: t.ts + shift, recvTs: t.recvTs + shift })),
  );

  const t0 = us('2024-01-02T01:00:00Z');
  const books: BookTop[] = [
    {
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      seq: 1001,
      ts: t0 + 123_456,
      bids: lv([
        ['43000.5', '1.2'],
        ['43000.25', '0.5'],
        ['42999', '3'],
      ]),
      asks: lv([
        ['43001', '0.7'],
        ['43001.5', '0.01'],
        ['43002.75', '2.25'],
      ]),
    },
    {
      exchange: 'kraken',
      symbol: 'BTC-USD',
      seq: 77,
      ts: t0 + 500_001,
      bids: lv([
        ['43002.1', '0.3'],
        ['43000.5', '0.9'],
        ['42998.4', '1.5'],
      ]),
      asks: lv([
        ['43003', '0.4'],
        ['43004.2', '1.1'],
      ]),
    },
    {
      exchange: 'coinbase',
      symbol: 'ETH-USD',
      seq: 5,
      ts: t0 + 42,
      bids: lv([
        ['2250.1', '10'],
        ['2250', '4.5'],
      ]),
      asks: lv([
        ['2250.35', '2'],
        ['2251', '8'],
      ]),
    },
  ];
  return {
    trades,
    emptySymbols: [{ exchange: 'coinbase', symbol: 'SOL-EUR' }],
    books,
    recentEndUs,
  };
}

/** Writes the data set through the store's real write path, in batches like the collector. */
export async function fill(store: Store, ds: DataSet, batch = 250): Promise<void> {
  for (const list of ds.trades.values()) {
    const { exchange, symbol } = list[0]!;
    await store.addSymbol(exchange, symbol);
    for (let i = 0; i < list.length; i += batch) {
      const part = list.slice(i, i + batch);
      const r = await store.ingestTrades(exchange, symbol, part, aggregateByMinute(part));
      if (r.written !== part.length) throw new Error(`ingest wrote ${r.written} of ${part.length}`);
    }
  }
  for (const { exchange, symbol } of ds.emptySymbols) await store.addSymbol(exchange, symbol);
  for (const top of ds.books) {
    await store.appendBook(
      top.exchange,
      top.symbol,
      { type: 'snapshot', bids: top.bids, asks: top.asks, seq: top.seq, ts: top.ts },
      top,
    );
  }
}

export interface TestApi {
  app: FastifyInstance;
  base: string;
  metrics: Metrics;
  close(): Promise<void>;
}

/** A real API server on 127.0.0.1, any free port. `env` holds configuration variables. */
export async function startApi(store: Store, env: Record<string, string> = {}): Promise<TestApi> {
  const config = loadConfig({ env: { API_HOST: '127.0.0.1', API_PORT: '0', ...env } });
  const metrics = createMetrics();
  const app = await buildApiServer({ config, store, metrics, log: silentLogger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}`, metrics, close: () => app.close() };
}

// biome-ignore lint/suspicious/noExplicitAny: test answers are inspected field by field
export type Json = any;

export interface Answer<T = Json> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function get<T = Json>(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(base + path, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

/** The API's view of a stored trade (what /trades must return for it). */
export function apiTrade(t: Trade) {
  return {
    timestamp: t.ts / 1e6,
    price: Number(t.price),
    volume: Number(t.size),
    side: t.side,
    trade_id: String(t.id),
    symbol: t.symbol,
    exchange: t.exchange,
  };
}
