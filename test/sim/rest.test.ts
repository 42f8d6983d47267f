/** REST back-fill endpoints: paging through every trade made, withheld ones included. */

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compareDecimal } from '../../src/core/decimal.js';
import { type RunningSimulators, type SimTrade, startSimulators } from '../../src/sim/index.js';

type Json = Record<string, unknown>;

let sim: RunningSimulators;

beforeAll(async () => {
  // ~3000 trades per market, some withheld from the WebSocket.
  sim = await startSimulators({
    exchanges: ['coinbase', 'kraken'],
    symbols: ['BTC-USD', 'ETH-USD'],
    ratePerSymbol: 6000,
    durationS: 0.5,
    seed: 21,
    ports: { coinbase: 0, kraken: 0 },
    faults: { gapEvery: 40 },
  });
  await sim.done;
});

afterAll(() => sim?.close());

function expectSameTrades(got: { id: number; price: string; takerSide: string }[], made: SimTrade[]): void {
  expect(got.map((t) => t.id)).toEqual(made.map((t) => t.id));
  got.forEach((t, i) => {
    expect(compareDecimal(t.price, made[i]!.price)).toBe(0);
    expect(t.takerSide).toBe(made[i]!.takerSide);
  });
}

describe('Coinbase REST trades', () => {
  const url = (query: string) => `${sim.urls.coinbase!.rest}/products/BTC-USD/trades${query}`;

  it('pages back with CB-AFTER through every trade made, withheld ones included', async () => {
    const made = sim.trades('coinbase', 'BTC-USD');
    expect(made.length).toBeGreaterThan(2000);
    expect(made.some((t) => t.withheld)).toBe(true);
    const got: { id: number; price: string; takerSide: string }[] = [];
    let query = '';
    for (let page = 0; page < 10; page++) {
      const res = await fetch(url(query));
      expect(res.status).toBe(200);
      const items = (await res.json()) as Json[];
      if (items.length === 0) break;
      const ids = items.map((t) => t.trade_id as number);
      expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first
      expect(res.headers.get('cb-before')).toBe(String(ids[0]));
      expect(res.headers.get('cb-after')).toBe(String(ids.at(-1)));
      for (const t of items) {
        expect(t.price).toMatch(/^\d+\.\d{8}$/);
        got.push({
          id: t.trade_id as number,
          price: t.price as string,
          takerSide: t.side === 'sell' ? 'buy' : 'sell',
        });
      }
      query = `?limit=1000&after=${res.headers.get('cb-after')}`;
    }
    got.sort((a, b) => a.id - b.id);
    expectSameTrades(got, made);
  });

  it('pages forward with before= (the trades just above the cursor, newest first)', async () => {
    const made = sim.trades('coinbase', 'BTC-USD');
    const got: number[] = [];
    let cursor = made[0]!.id - 1;
    for (;;) {
      const items = (await (await fetch(url(`?limit=700&before=${cursor}`))).json()) as Json[];
      if (items.length === 0) break;
      const ids = items.map((t) => t.trade_id as number);
      expect(ids[0]).toBe(Math.min(cursor + 700, made.at(-1)!.id));
      got.push(...ids.reverse());
      cursor = got.at(-1)!;
    }
    expect(got).toEqual(made.map((t) => t.id));
  });

  it('refuses bad limits and cursors with 400, unknown products with 404', async () => {
    for (const q of ['?limit=1001', '?limit=0', '?limit=abc', '?after=x1']) {
      const res = await fetch(url(q));
      expect(res.status).toBe(400);
      expect(typeof ((await res.json()) as Json).message).toBe('string');
    }
    const missing = await fetch(`${sim.urls.coinbase!.rest}/products/NOPE-USD/trades`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'NotFound' });
    const empty = await fetch(url(`?after=${sim.trades('coinbase', 'BTC-USD')[0]!.id}`));
    expect(await empty.json()).toEqual([]);
  });
});

describe('Kraken REST Trades', () => {
  const url = (pair: string, query = '') => `${sim.urls.kraken!.rest}/0/public/Trades?pair=${pair}${query}`;

  it('pages forward with since/last through every trade made, withheld ones included', async () => {
    const made = sim.trades('kraken', 'ETH-USD');
    const got: { id: number; price: string; takerSide: string }[] = [];
    let since = '0';
    for (let page = 0; page < 10; page++) {
      const body = (await (await fetch(url('ETHUSD', `&since=${since}`))).json()) as Json;
      expect(body.error).toEqual([]);
      const result = body.result as Json;
      const rows = result.XETHZUSD as unknown[][];
      if (rows.length === 0) {
        expect(result.last).toBe(since);
        break;
      }
      for (const r of rows)
        got.push({ id: r[6] as number, price: r[0] as string, takerSide: r[3] === 'b' ? 'buy' : 'sell' });
      const lastRow = rows.at(-1)!;
      expect(result.last).toBe(`${Math.round((lastRow[2] as number) * 1e6)}000`);
      since = result.last as string;
    }
    expectSameTrades(got, made);
  });

  it('accepts every pair spelling, answers with the canonical key, and since in seconds', async () => {
    for (const pair of ['XBTUSD', 'XXBTZUSD', 'BTC/USD', 'BTCUSD', 'XBT/USD']) {
      const body = (await (await fetch(url(encodeURIComponent(pair), '&count=3'))).json()) as Json;
      expect(Object.keys(body.result as Json)).toEqual(['XXBTZUSD', 'last']);
    }
    const made = sim.trades('kraken', 'BTC-USD');
    const second = Math.floor(made[0]!.ts / 1e6);
    const body = (await (await fetch(url('XBTUSD', `&since=${second}&count=5`))).json()) as Json;
    const rows = (body.result as Json).XXBTZUSD as unknown[][];
    expect(rows.map((r) => r[6])).toEqual(
      made
        .filter((t) => t.ts > second * 1e6)
        .slice(0, 5)
        .map((t) => t.id),
    );
    expect(await (await fetch(url('NOPEUSD'))).json()).toEqual({ error: ['EQuery:Unknown asset pair'] });
  });
});

describe('REST rate limit', () => {
  it('answers each exchange rate-limit error beyond restRps', async () => {
    const limited = await startSimulators({
      exchanges: ['coinbase', 'kraken'],
      symbols: ['BTC-USD'],
      ratePerSymbol: 0,
      seed: 1,
      ports: { coinbase: 0, kraken: 0 },
      restRps: 3,
    });
    try {
      const burst = (u: string) => Promise.all(Array.from({ length: 12 }, () => fetch(u)));
      const cb = await burst(`${limited.urls.coinbase!.rest}/products`);
      const kr = await burst(`${limited.urls.kraken!.rest}/0/public/Time`);
      for (const [responses, body] of [
        [cb, { message: 'Public rate limit exceeded' }],
        [kr, { error: ['EAPI:Rate limit exceeded'] }],
      ] as const) {
        const refused = responses.filter((r) => r.status === 429);
        expect(refused.length).toBeGreaterThan(0);
        expect(responses.some((r) => r.status === 200)).toBe(true);
        expect(await refused[0]!.json()).toEqual(body);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('malformed requests', () => {
  /** A raw HTTP request (fetch would normalise these paths). */
  function raw(base: string, path: string, method = 'GET'): Promise<number> {
    const { hostname, port } = new URL(base);
    return new Promise((resolve, reject) => {
      const req = request({ hostname, port, path, method }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers bad paths, methods and WebSocket paths with errors and keeps serving', async () => {
    const cb = sim.urls.coinbase!.rest;
    expect(await raw(cb, '/products/%zz/trades')).toBe(400);
    expect(await raw(cb, '//')).toBe(400);
    expect(await raw(cb, '/products', 'POST')).toBe(405);
    expect(await raw(sim.urls.kraken!.rest, '/0/public/Nope')).toBe(404);
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${sim.urls.kraken!.ws.replace('/v2', '/v3')}`);
      ws.on('error', (e) => resolve(e.message));
    });
    expect(refused).toMatch(/404/);
    expect(await raw(cb, '/products')).toBe(200);
  });
});
