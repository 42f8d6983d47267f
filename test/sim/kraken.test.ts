/** The Kraken v2 simulator, driven by a plain ws client following protocols/kraken.md. */

import { afterEach, describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/book/order-book.js';
import { compareDecimal } from '../../src/core/decimal.js';
import { parseIsoToUs } from '../../src/core/time.js';
import type { BookMessage } from '../../src/core/types.js';
import { krakenChecksum } from '../../src/exchanges/kraken/checksum.js';
import { createKrakenParser, quoteNumberFields } from '../../src/exchanges/kraken/parse.js';
import { type RunningSimulators, type SimulatorOptions, startSimulators } from '../../src/sim/index.js';
import { referenceKrakenChecksum } from '../helpers/crc32.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { TestClient, until } from './support/client.js';

type Json = Record<string, unknown>;

let sim: RunningSimulators | undefined;
const clients: TestClient[] = [];

async function start(options: Partial<SimulatorOptions> = {}): Promise<RunningSimulators> {
  sim = await startSimulators({
    exchanges: ['kraken'],
    symbols: ['BTC-USD', 'ETH-USD'],
    ratePerSymbol: 1000,
    seed: 5,
    ports: { kraken: 0 },
    ...options,
  });
  return sim;
}

async function client(s: RunningSimulators): Promise<TestClient> {
  const c = await TestClient.open(s.urls.kraken!.ws);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

/** Messages with price/qty kept as their exact text. */
const exact = (c: TestClient): Json[] => c.frames.map((f) => JSON.parse(quoteNumberFields(f.text)) as Json);

/** Waits for the answer to a ping: everything the server sent before it has arrived. */
async function drain(c: TestClient, reqId: number): Promise<void> {
  c.send({ method: 'ping', req_id: reqId });
  await c.waitFor(() => c.messages().some((m) => m.method === 'pong' && m.req_id === reqId), `pong ${reqId}`);
}

describe('Kraken simulator: connection and trades', () => {
  it('greets with status, acks per symbol, and streams every trade (taker side) after a snapshot of the last 50', async () => {
    const s = await start();
    await until(() => s.truth().kraken!['ETH-USD']!.count > 60, 'some history');
    const c = await client(s);
    c.send({
      method: 'subscribe',
      params: { channel: 'trade', symbol: ['BTC/USD', 'ETH/USD'], snapshot: true },
      req_id: 1,
    });
    await c.waitFor(() => exact(c).filter((m) => m.type === 'update').length > 20, 'trade updates');
    s.stopGenerating();
    await s.done;
    await drain(c, 2);

    const all = exact(c);
    expect(all[0]).toMatchObject({ channel: 'status', type: 'update' });
    expect((all[0]!.data as Json[])[0]).toMatchObject({
      version: '2.0.10',
      system: 'online',
      api_version: 'v2',
    });
    const acks = all.filter((m) => m.method === 'subscribe');
    expect(acks.map((a) => (a.result as Json).symbol)).toEqual(['BTC/USD', 'ETH/USD']);
    for (const a of acks) {
      expect(a).toMatchObject({ req_id: 1, success: true, result: { channel: 'trade', snapshot: true } });
      expect(parseIsoToUs(a.time_in as string)).toBeLessThanOrEqual(parseIsoToUs(a.time_out as string)!);
    }
    const tradeMessages = all.filter((m) => m.channel === 'trade');
    expect(tradeMessages.some((m) => (m.data as unknown[]).length > 1)).toBe(true); // one tick's trades share a message
    expect(tradeMessages.every((m) => (m.data as unknown[]).length <= 100)).toBe(true);
    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      const native = symbol.replace('-', '/');
      const made = s.trades('kraken', symbol);
      const byId = new Map(made.map((t) => [t.id, t]));
      const mine = tradeMessages.flatMap((m) =>
        (m.data as Json[]).filter((d) => d.symbol === native).map((d): Json => ({ ...d, type: m.type })),
      );
      const snapshot = mine.filter((d) => d.type === 'snapshot');
      expect(snapshot.length).toBe(50);
      const ids = mine.map((d) => d.trade_id as number);
      expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
      expect(ids.at(-1)).toBe(made.at(-1)!.id);
      for (const d of mine) {
        const t = byId.get(d.trade_id as number)!;
        expect(d.side).toBe(t.takerSide);
        expect(d.price).toBe(t.price); // bare number text, trailing zeros trimmed
        expect(compareDecimal(d.qty as string, t.size)).toBe(0);
        expect(['limit', 'market']).toContain(d.ord_type);
        expect(parseIsoToUs(d.timestamp as string)).toBe(t.ts);
      }
    }
  });

  it('answers ping, refuses bad depths, unknown symbols and methods with error responses, and heartbeats only subscribers', async () => {
    const s = await start();
    const idle = await client(s);
    const c = await client(s);
    c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 27 }, req_id: 7 });
    c.send({
      method: 'subscribe',
      params: { channel: 'book', symbol: ['DOGE/USD', 'ETH/USD'], depth: 25 },
      req_id: 8,
    });
    c.send({ method: 'frobnicate', req_id: 9 });
    await c.waitFor(
      () => c.messages().filter((m) => m.channel === 'heartbeat').length >= 2,
      'two heartbeats',
    );
    const responses = c.messages().filter((m) => 'success' in m);
    const errors = responses.filter((m) => m.success === false);
    expect(errors.map((e) => [e.req_id, e.symbol])).toEqual([
      [7, 'BTC/USD'],
      [8, 'DOGE/USD'],
      [9, undefined],
    ]);
    for (const e of errors) {
      expect(e).not.toHaveProperty('result');
      expect(Object.keys(e).filter((k) => k !== 'symbol' && k !== 'req_id')).toEqual([
        'error',
        'method',
        'success',
        'time_in',
        'time_out',
      ]);
      expect(typeof e.error).toBe('string');
    }
    const ok = responses.filter((m) => m.success === true);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.result).toEqual({ channel: 'book', depth: 25, snapshot: true, symbol: 'ETH/USD' });
    expect(idle.messages().filter((m) => m.channel === 'heartbeat')).toEqual([]);

    await drain(idle, 3);
    expect(idle.messages().find((m) => m.method === 'pong')).toMatchObject({ method: 'pong', req_id: 3 });

    c.send({
      method: 'unsubscribe',
      params: { channel: 'book', symbol: ['ETH/USD'], depth: 25 },
      req_id: 10,
    });
    await c.waitFor(() => c.messages().some((m) => m.method === 'unsubscribe'), 'the unsubscribe ack');
    const ack = c.messages().find((m) => m.method === 'unsubscribe')!;
    expect(ack).toMatchObject({
      req_id: 10,
      success: true,
      result: { channel: 'book', depth: 25, symbol: 'ETH/USD' },
    });
    expect(ack.result).not.toHaveProperty('snapshot');
    const after = c.frames.length;
    await drain(c, 11);
    expect(
      c
        .messages()
        .slice(after)
        .filter((m) => m.channel === 'book'),
    ).toEqual([]);
  });
});

/** Replays a client's book messages with the project's book engine and both checksum implementations. */
function replayBook(c: TestClient, symbol: string, depth: number) {
  const sink = new RecordingSink();
  const parse = createKrakenParser([symbol]);
  for (const f of c.frames) parse(f.text, 0, sink);
  expect(sink.malformedKinds).toEqual([]);
  const book = new OrderBook();
  let deletes = 0;
  for (const m of sink.books as BookMessage[]) {
    if (m.kind === 'snapshot') book.reset(m.bids, m.asks);
    else book.apply(m.bids, m.asks);
    book.truncate(depth);
    deletes += [...m.bids, ...m.asks].filter(([, q]) => Number(q) === 0).length;
    const text = (side: 'bids' | 'asks') =>
      book[side].top().map((l) => [l.price, l.size] as [string, string]);
    expect(krakenChecksum(book)).toBe(m.checksum);
    expect(referenceKrakenChecksum(text('asks'), text('bids'))).toBe(m.checksum);
    // Deletes inside the depth bring the level that slides in: the view stays full.
    expect(book.bids.size).toBe(depth);
    expect(book.asks.size).toBe(depth);
    for (const [p, q] of [...m.bids, ...m.asks]) {
      expect(p).toMatch(/^\d+\.\d$/); // BTC/USD price_precision 1
      expect(q).toMatch(/^\d+\.\d{8}$/); // qty_precision 8, trailing zeros kept
    }
  }
  return { book, messages: sink.books.length, deletes };
}

describe('Kraken simulator: book', () => {
  it('keeps clients at depths 10, 25 and 1000 exactly on the master book, every checksum verified twice', async () => {
    const s = await start({ symbols: ['BTC-USD'], ratePerSymbol: 2000, bookRate: 300 });
    const depths = [10, 25, 1000];
    const cs = await Promise.all(depths.map(() => client(s)));
    depths.forEach((depth, i) => {
      cs[i]!.send({
        method: 'subscribe',
        params: { channel: 'book', symbol: ['BTC/USD'], depth },
        req_id: 1,
      });
    });
    const updates = (c: TestClient) =>
      c.frames.filter((f) => f.text.startsWith('{"channel":"book","type":"update"')).length;
    await Promise.all(cs.map((c) => c.waitFor(() => updates(c) >= 200, '200 book updates')));
    s.stopGenerating();
    await s.done;
    await Promise.all(cs.map((c, i) => drain(c, 100 + i)));
    const master = s.book('kraken', 'BTC-USD');
    depths.forEach((depth, i) => {
      const { book, messages, deletes } = replayBook(cs[i]!, 'BTC-USD', depth);
      expect(messages).toBeGreaterThan(200);
      expect(deletes).toBeGreaterThan(0);
      expect(book.bids.top().map((l) => [l.price, l.size])).toEqual(master.bids.slice(0, depth));
      expect(book.asks.top().map((l) => [l.price, l.size])).toEqual(master.asks.slice(0, depth));
    });
  });
});
