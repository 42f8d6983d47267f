/** The Coinbase Exchange simulator, driven by a plain ws client following protocols/coinbase.md. */

import { afterEach, describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/book/order-book.js';
import { compareDecimal } from '../../src/core/decimal.js';
import { parseIsoToUs } from '../../src/core/time.js';
import { type RunningSimulators, type SimulatorOptions, startSimulators } from '../../src/sim/index.js';
import { TestClient, until } from './support/client.js';

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let sim: RunningSimulators | undefined;
const clients: TestClient[] = [];

async function start(options: Partial<SimulatorOptions> = {}): Promise<RunningSimulators> {
  sim = await startSimulators({
    exchanges: ['coinbase'],
    symbols: ['BTC-USD', 'ETH-USD'],
    ratePerSymbol: 300,
    seed: 3,
    ports: { coinbase: 0 },
    ...options,
  });
  return sim;
}

async function client(s: RunningSimulators): Promise<TestClient> {
  const c = await TestClient.open(s.urls.coinbase!.ws);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

const ofType = (c: TestClient, ...types: string[]) =>
  c.messages().filter((m) => types.includes(m.type as string));

describe('Coinbase simulator: matches and heartbeat', () => {
  it('sends last_match first, then every trade in id order with the maker side, and in-order heartbeats', async () => {
    const s = await start();
    await until(() => Object.values(s.truth().coinbase!).every((t) => t.count > 0), 'first trades');
    const c = await client(s);
    c.send({ type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['matches', 'heartbeat'] });
    const heartbeats = (p: string) => ofType(c, 'heartbeat').filter((m) => m.product_id === p).length;
    await c.waitFor(
      () => heartbeats('BTC-USD') >= 2 && heartbeats('ETH-USD') >= 2,
      'two heartbeats per product',
    );
    s.stopGenerating();
    await s.done;
    const truth = s.truth().coinbase!;
    const lastIds = (p: string) => Number(truth[p]!.last_trade_id);
    await c.waitFor(
      () =>
        ['BTC-USD', 'ETH-USD'].every((p) =>
          ofType(c, 'match').some((m) => m.product_id === p && m.trade_id === lastIds(p)),
        ),
      'the last trade of each product',
    );

    const all = c.messages();
    expect(all[0]).toEqual({
      type: 'subscriptions',
      channels: [
        { name: 'matches', product_ids: ['BTC-USD', 'ETH-USD'], account_ids: null },
        { name: 'heartbeat', product_ids: ['BTC-USD', 'ETH-USD'], account_ids: null },
      ],
    });
    for (const product of ['BTC-USD', 'ETH-USD']) {
      const made = new Map(s.trades('coinbase', product).map((t) => [t.id, t]));
      const mine = all.filter((m) => m.product_id === product);
      const trades = mine.filter((m) => m.type === 'match' || m.type === 'last_match');
      expect(trades[0]!.type).toBe('last_match');
      expect(trades.slice(1).every((m) => m.type === 'match')).toBe(true);
      const ids = trades.map((m) => m.trade_id as number);
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
      expect(ids.at(-1)).toBe(lastIds(product));
      for (const m of trades) {
        const t = made.get(m.trade_id as number)!;
        expect(m.side).toBe(t.takerSide === 'buy' ? 'sell' : 'buy'); // Coinbase sends the maker side
        expect(compareDecimal(m.price as string, t.price)).toBe(0);
        expect(m.size).toBe(t.size);
        expect(parseIsoToUs(m.time as string)).toBe(t.ts);
        expect(m.maker_order_id).toMatch(UUID);
        expect(m.taker_order_id).toMatch(UUID);
        expect(m.maker_order_id).not.toBe(m.taker_order_id);
      }
      // One product sequence across its messages; heartbeats report the last trade offered so far.
      let lastSequence = 0;
      let lastTradeId = 0;
      for (const m of mine) {
        expect(m.sequence as number).toBeGreaterThanOrEqual(lastSequence);
        if (m.type === 'heartbeat') expect(m.last_trade_id).toBe(lastTradeId);
        else {
          expect(m.sequence as number).toBeGreaterThan(lastSequence);
          lastTradeId = m.trade_id as number;
        }
        lastSequence = m.sequence as number;
      }
    }
  });

  it('refuses auth-only channels and unknown products but subscribes the rest; unsubscribe acks the remaining set', async () => {
    const s = await start();
    const c = await client(s);
    c.send({
      type: 'subscribe',
      product_ids: ['BTC-USD', 'NOPE-USD'],
      channels: ['level2', 'matches', { name: 'heartbeat', product_ids: ['ETH-USD'] }],
    });
    await c.waitFor(() => ofType(c, 'subscriptions').length === 1, 'the ack');
    const errors = ofType(c, 'error');
    expect(errors.map((e) => e.message)).toEqual(['Failed to subscribe', 'Failed to subscribe']);
    expect(errors.map((e) => e.reason).join(' ')).toMatch(/level2.*authentication.*NOPE-USD/);
    expect(ofType(c, 'subscriptions')[0]!.channels).toEqual([
      { name: 'matches', product_ids: ['BTC-USD'], account_ids: null },
      { name: 'heartbeat', product_ids: ['ETH-USD'], account_ids: null },
    ]);
    await c.waitFor(() => ofType(c, 'match').length > 0, 'a match');
    c.send({ type: 'unsubscribe', product_ids: ['BTC-USD'], channels: ['matches'] });
    await c.waitFor(() => ofType(c, 'subscriptions').length === 2, 'the unsubscribe ack');
    expect(ofType(c, 'subscriptions')[1]!.channels).toEqual([
      { name: 'heartbeat', product_ids: ['ETH-USD'], account_ids: null },
    ]);
    const framesAtAck = c.frames.length;
    await c.waitFor(
      () =>
        c
          .messages()
          .slice(framesAtAck)
          .some((m) => m.type === 'heartbeat'),
      'a heartbeat after the unsubscribe',
    );
    expect(
      c
        .messages()
        .slice(framesAtAck)
        .some((m) => m.type === 'match'),
    ).toBe(false);
    c.ws.send('not json');
    c.send({ type: 'hello' });
    await c.waitFor(() => ofType(c, 'error').length === 4, 'two more errors');
  });

  it('closes a connection that does not subscribe in time, and keeps one that does', async () => {
    const s = await start({ subscribeTimeoutMs: 300 });
    const silent = await client(s);
    const active = await client(s);
    active.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['heartbeat'] });
    await silent.waitFor(() => silent.closed, 'the silent client to be closed');
    expect(silent.closeCode).toBe(1008);
    expect(active.closed).toBe(false);
  });
});

describe('Coinbase simulator: level2_batch', () => {
  it('sends a full snapshot, then l2updates that keep the client book equal to the master book', async () => {
    const s = await start({ symbols: ['BTC-USD'], bookRate: 200 });
    const c = await client(s);
    c.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2_batch', 'heartbeat'] });
    await c.waitFor(() => ofType(c, 'l2update').length >= 150, '150 l2updates');
    s.stopGenerating();
    const heartbeatsAtStop = ofType(c, 'heartbeat').length;
    // Heartbeats are sent after every book event made before the stop: the next one closes the stream.
    await c.waitFor(() => ofType(c, 'heartbeat').length > heartbeatsAtStop, 'a heartbeat after the stop');

    const book = new OrderBook();
    let snapshots = 0;
    let deletes = 0;
    for (const m of ofType(c, 'snapshot', 'l2update')) {
      if (m.type === 'snapshot') {
        snapshots++;
        book.reset(m.bids as [string, string][], m.asks as [string, string][]);
        expect((m.bids as unknown[]).length).toBeGreaterThanOrEqual(1000);
        expect((m.asks as unknown[]).length).toBeGreaterThanOrEqual(1000);
      } else {
        const changes = m.changes as [string, string, string][];
        for (const [side, price, size] of changes) {
          if (Number(size) === 0) deletes++;
          (side === 'buy' ? book.bids : book.asks).set(price, size);
        }
      }
      expect(book.isCrossed()).toBe(false);
    }
    expect(snapshots).toBe(1);
    expect(deletes).toBeGreaterThan(0);
    const master = s.book('coinbase', 'BTC-USD');
    expect(book.bids.top().map((l) => [l.price, l.size])).toEqual(master.bids);
    expect(book.asks.top().map((l) => [l.price, l.size])).toEqual(master.asks);

    const rest = s.urls.coinbase!.rest;
    const level2 = (await (await fetch(`${rest}/products/BTC-USD/book?level=2`)).json()) as Json;
    expect((level2.bids as unknown[][]).map(([p, q]) => [p, q])).toEqual(master.bids);
    expect((level2.asks as unknown[][]).map(([p, q]) => [p, q])).toEqual(master.asks);
    expect((level2.bids as unknown[][]).every((l) => Number.isInteger(l[2]))).toBe(true);
    const level1 = (await (await fetch(`${rest}/products/BTC-USD/book`)).json()) as Json;
    expect(level1.asks).toEqual([(level2.asks as unknown[])[0]]);
    expect(typeof level1.sequence).toBe('number');
  });
});
