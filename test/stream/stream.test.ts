/**
 * `GET /stream` against a real API server, on real Redis (databases 13 and 14 only) and on
 * the embedded store, fed by a real Collector reading in-process exchange simulators.
 * What a client receives is compared with what landed in the store, entry by entry: stream
 * ids, order and every field, with no gap and no duplicate (live, resumed, and across the
 * switch from stored to live entries).
 */

import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { compareStreamIds, MAX_SUBSCRIPTIONS } from '../../src/api/stream/protocol.js';
import type { Exchange } from '../../src/core/types.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { keys } from '../../src/store/keys.js';
import type { Store, StreamName } from '../../src/store/store.js';
import { dataSet, fill, get, type Json, makeTrades } from '../api/helpers.js';
import {
  type Harness,
  metricValue,
  type StoreKind,
  startHarness,
  waitForAllStored,
} from '../helpers/collector-harness.js';
import { waitFor } from '../helpers/process.js';
import { redisClient } from '../helpers/redis.js';
import { LocalBook, ReadSpy, refusedUpgrade, type StreamApi, startStreamApi, WsClient } from './helpers.js';

const MARKETS: [Exchange, string][] = [
  ['coinbase', 'BTC-USD'],
  ['coinbase', 'ETH-USD'],
  ['kraken', 'BTC-USD'],
  ['kraken', 'ETH-USD'],
];

type Fields = Record<string, string>;

function fieldMap(flat: string[]): Fields {
  const m: Fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) m[flat[i]!] = flat[i + 1]!;
  return m;
}

const levels = (json: string) =>
  (JSON.parse(json) as [string, string][]).map(([price, size]) => ({
    price: Number(price),
    size: Number(size),
  }));

/** The message a stored entry must arrive as (built from the raw Redis fields). */
function expectedFromRedis(stream: StreamName, id: string, f: Fields): Json {
  if (stream === 'trades') {
    return {
      type: 'trade',
      id,
      exchange: f.exchange,
      symbol: f.symbol,
      timestamp: Number(f.ts) / 1e6,
      price: Number(f.price),
      volume: Number(f.size),
      side: f.side,
      trade_id: f.trade_id,
    };
  }
  return {
    kind: f.type,
    sequence: Number(f.seq),
    timestamp: Number(f.ts) / 1e6,
    bids: levels(f.bids!),
    asks: levels(f.asks!),
    id,
  };
}

/** Every entry of one stream as the client must receive it, oldest first. */
async function storedMessages(
  kind: StoreKind,
  h: { store: Store; env: Record<string, string> },
  stream: StreamName,
  exchange: Exchange,
  symbol: string,
): Promise<Json[]> {
  let out: Json[];
  if (kind === 'redis') {
    // Straight from Redis, not through the store's decoder.
    const c = await redisClient(h.env.REDIS_URL!);
    try {
      const key = (stream === 'trades' ? keys.trades : keys.book)(exchange, symbol);
      const raw = (await c.sendCommand(['XRANGE', key, '-', '+'])) as [string, string[]][];
      out = raw.map(([id, flat]) => expectedFromRedis(stream, id, fieldMap(flat)));
    } finally {
      await c.close();
    }
  } else {
    const items = await h.store.readStreams([{ stream, exchange, symbol, afterId: '0' }], 10_000_000, 0);
    out = items.map((it) => {
      if (it.stream === 'trades') {
        const t = it.entry;
        return {
          type: 'trade',
          id: t.streamId,
          exchange: t.exchange,
          symbol: t.symbol,
          timestamp: t.ts / 1e6,
          price: Number(t.price),
          volume: Number(t.size),
          side: t.side,
          trade_id: String(t.id),
        };
      }
      const e = it.entry;
      return {
        kind: e.type,
        sequence: e.seq,
        timestamp: e.ts / 1e6,
        bids: e.bids.map(([p, s]) => ({ price: Number(p), size: Number(s) })),
        asks: e.asks.map(([p, s]) => ({ price: Number(p), size: Number(s) })),
        id: e.streamId,
      };
    });
  }
  if (stream === 'book') {
    for (const m of out) Object.assign(m, { type: 'book', exchange, symbol });
  }
  return out;
}

const entriesAfter = (list: Json[], id: string) => list.filter((m) => compareStreamIds(m.id, id) > 0);
const lastId = (list: Json[]) => list.at(-1)?.id as string | undefined;

/** Waits until the client has every entry the store holds for each stream. */
async function untilCaughtUp(c: WsClient, store: Store, streams: [StreamName, Exchange, string][]) {
  for (const [stream, ex, sym] of streams) {
    const last = await store.lastStreamId(stream, ex, sym);
    await c.until(`${stream} ${ex}:${sym} up to ${last}`, () => {
      const got = stream === 'trades' ? c.trades(ex, sym) : c.books(ex, sym);
      const l = lastId(got);
      return l !== undefined && compareStreamIds(l, last) >= 0;
    });
  }
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
  cleanup = [];
});

/** Redis databases 13 and 14 only (see test/helpers/redis.ts). */
async function harness(kind: StoreKind, db: 13 | 14): Promise<Harness> {
  const h = await startHarness({ store: kind, db, rate: 40, bookRate: 5 });
  cleanup.push(() => h.stop());
  // Trades and a book on every market before anyone subscribes.
  await waitFor(
    'trades and books on every market',
    async () => {
      for (const [ex, sym] of MARKETS) {
        const st = await h.store.marketStats(ex, sym);
        if (!st || st.count < 5 || !(await h.store.bookTop(ex, sym))) return false;
      }
      return true;
    },
    30_000,
  );
  return h;
}

async function api(store: Store, env: Record<string, string> = {}, opts = {}): Promise<StreamApi> {
  const a = await startStreamApi(store, env, opts);
  cleanup.push(() => a.close());
  return a;
}

async function client(url: string, headers?: Record<string, string>): Promise<WsClient> {
  const c = await WsClient.open(url, headers ? { headers } : {});
  cleanup.push(async () => c.close());
  return c;
}

describe.each(['redis', 'embedded'] as StoreKind[])('/stream on the %s store', (kind) => {
  it('fans live trades and books out to every client exactly as stored, from one reader', async () => {
    const h = await harness(kind, 13);
    const spy = new ReadSpy(h.store);
    const a = await api(spy.store);
    const redisConnections = async () => {
      if (kind !== 'redis') return 0;
      const c = await redisClient(h.env.REDIS_URL!);
      try {
        const list = String(await c.sendCommand(['CLIENT', 'LIST']));
        return list.split('\n').filter((l) => / db=13 /.test(l)).length - 1; // minus this one
      } finally {
        await c.close();
      }
    };
    const connectionsBefore = await redisConnections();

    const before = new Map<string, string>();
    for (const [ex, sym] of MARKETS)
      before.set(`${ex}:${sym}`, await h.store.lastStreamId('trades', ex, sym));
    const clients = [await client(a.ws), await client(a.ws), await client(a.ws)];
    for (const c of clients) {
      const ack = await c.request({
        op: 'subscribe',
        channels: ['trades', 'book'],
        symbols: ['BTC-USD', 'eth/usd'],
        exchanges: ['coinbase', 'Kraken'],
      });
      expect(ack.type).toBe('subscribed');
      expect(ack.streams).toHaveLength(8);
      expect(ack.streams).toContainEqual({
        channel: 'trades',
        exchange: 'kraken',
        symbol: 'ETH-USD',
        from: null,
      });
    }
    const afterSubscribe = new Map<string, string>();
    for (const [ex, sym] of MARKETS)
      afterSubscribe.set(`${ex}:${sym}`, await h.store.lastStreamId('trades', ex, sym));

    await clients[2]!.until('60 live trades on every market', () =>
      MARKETS.every(([ex, sym]) => clients[2]!.trades(ex, sym).length >= 60),
    );
    // One hub, one reader: three clients never cost more than one blocking read, nor a
    // Redis connection each.
    expect(spy.maxInFlight).toBe(1);
    expect(spy.maxBlockingInFlight).toBe(1);
    expect(spy.blockingCalls).toBeGreaterThan(0);
    expect(a.endpoint.hub.streamCount).toBe(8);
    if (kind === 'redis') expect(await redisConnections()).toBeLessThanOrEqual(connectionsBefore + 1);

    h.sim.stopGenerating();
    await waitForAllStored(h);
    const streams = MARKETS.flatMap(([ex, sym]) => [
      ['trades', ex, sym] as [StreamName, Exchange, string],
      ['book', ex, sym] as [StreamName, Exchange, string],
    ]);
    for (const c of clients) await untilCaughtUp(c, h.store, streams);

    for (const [ex, sym] of MARKETS) {
      const storedTrades = await storedMessages(kind, h, 'trades', ex, sym);
      const storedBook = await storedMessages(kind, h, 'book', ex, sym);
      for (const c of clients) {
        // Trades: a contiguous run of the stored entries, starting where the subscription did.
        const got = c.trades(ex, sym);
        const i = storedTrades.findIndex((m) => m.id === got[0].id);
        expect(i, `${ex}:${sym} first trade is stored`).toBeGreaterThanOrEqual(0);
        expect(compareStreamIds(got[0].id, before.get(`${ex}:${sym}`)!)).toBeGreaterThan(0);
        if (i > 0) {
          expect(
            compareStreamIds(storedTrades[i - 1].id, afterSubscribe.get(`${ex}:${sym}`)!),
          ).toBeLessThanOrEqual(0);
        }
        expect(got).toEqual(storedTrades.slice(i));

        // Book: the current book first, then exactly the stored entries after it (minus the
        // leading updates the snapshot already contains); rebuilt, it is the store's book.
        const books = c.books(ex, sym);
        const snap = books[0];
        expect(snap.kind).toBe('snapshot');
        expect(snap.bids.length + snap.asks.length).toBeGreaterThan(0);
        let expected = entriesAfter(storedBook, snap.id);
        let k = 0;
        while (k < expected.length && expected[k].kind === 'update' && expected[k].sequence <= snap.sequence)
          k++;
        expected = expected.slice(k);
        expect(books.slice(1)).toEqual(expected);
        const local = new LocalBook();
        for (const m of books) local.apply(m);
        const top = await h.store.bookTop(ex, sym);
        const num = (l: [string, string]) => ({ price: Number(l[0]), size: Number(l[1]) });
        expect(local.levels()).toEqual({ bids: top!.bids.map(num), asks: top!.asks.map(num) });
      }
    }

    // One schema: a streamed trade is the REST trade plus `type` and `id`.
    const rest = await get(a.base, '/trades/btc-usd/recent?exchange=kraken&limit=40');
    expect(rest.status).toBe(200);
    const tail = clients[0]!.trades('kraken', 'BTC-USD').slice(-40);
    expect(tail.map(({ type: _t, id: _i, ...trade }: Json) => trade)).toEqual(rest.body.data);
    expect(await metricValue(a.metrics, 'http_requests_total', { path: '/stream', status: '101' })).toBe(3);
  }, 120_000);

  it('resumes with "from" right after that id, across stored pages into live entries', async () => {
    const h = await harness(kind, 14);
    const a = await api(h.store, {}, { catchupCount: 25 });
    await waitFor(
      'history to resume from',
      async () =>
        ((await h.store.marketStats('coinbase', 'BTC-USD'))?.count ?? 0) >= 120 &&
        (await storedMessages(kind, h, 'book', 'kraken', 'BTC-USD')).length >= 12,
      60_000,
    );
    const tradesSoFar = await storedMessages(kind, h, 'trades', 'coinbase', 'BTC-USD');
    const bookSoFar = await storedMessages(kind, h, 'book', 'kraken', 'BTC-USD');
    const fromTrades = tradesSoFar[10].id;
    const fromBook = bookSoFar[5].id;

    const c = await client(a.ws);
    const ack = await c.request({
      op: 'subscribe',
      channels: ['trades', 'book'],
      symbols: ['BTC-USD'],
      exchanges: ['coinbase', 'kraken'],
      from: { 'trades:coinbase:btc-usd': fromTrades, 'book:kraken:XBT/USD': fromBook },
    });
    expect(ack.type).toBe('subscribed');
    expect(ack.streams).toContainEqual({
      channel: 'trades',
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      from: fromTrades,
    });
    expect(ack.streams).toContainEqual({
      channel: 'book',
      exchange: 'kraken',
      symbol: 'BTC-USD',
      from: fromBook,
    });
    expect(ack.streams).toContainEqual({
      channel: 'book',
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      from: null,
    });

    // Past everything that was stored when it subscribed, into live entries.
    await c.until(
      'stored and then live trades',
      () => c.trades('coinbase', 'BTC-USD').length >= tradesSoFar.length - 11 + 40,
    );
    h.sim.stopGenerating();
    await waitForAllStored(h);
    await untilCaughtUp(c, h.store, [
      ['trades', 'coinbase', 'BTC-USD'],
      ['book', 'kraken', 'BTC-USD'],
    ]);
    const allTrades = await storedMessages(kind, h, 'trades', 'coinbase', 'BTC-USD');
    const allBook = await storedMessages(kind, h, 'book', 'kraken', 'BTC-USD');
    expect(c.trades('coinbase', 'BTC-USD')).toEqual(entriesAfter(allTrades, fromTrades));
    // A resumed book gets no snapshot: the entries after `from`, exactly.
    expect(c.books('kraken', 'BTC-USD')).toEqual(entriesAfter(allBook, fromBook));
    expect(c.books('coinbase', 'BTC-USD')[0].kind).toBe('snapshot');

    // A client that lost its connection midway resumes from the last id it saw: the rest,
    // no gap, no duplicate (all from storage now, many pages).
    const seen = c.trades('coinbase', 'BTC-USD');
    const mid = seen[Math.floor(seen.length / 3)].id;
    const c2 = await client(a.ws);
    const ack2 = await c2.request({ op: 'subscribe', channels: ['trades'], symbols: ['BTC/USD'], from: mid });
    expect(ack2.streams).toEqual([{ channel: 'trades', exchange: 'coinbase', symbol: 'BTC-USD', from: mid }]);
    await untilCaughtUp(c2, h.store, [['trades', 'coinbase', 'BTC-USD']]);
    expect(c2.trades('coinbase', 'BTC-USD')).toEqual(entriesAfter(allTrades, mid));

    // "0" = from the start of what the store retains.
    const c3 = await client(a.ws);
    await c3.request({
      op: 'subscribe',
      channels: ['trades'],
      symbols: ['ETH-USD'],
      exchanges: ['kraken'],
      from: '0',
    });
    await untilCaughtUp(c3, h.store, [['trades', 'kraken', 'ETH-USD']]);
    expect(c3.trades('kraken', 'ETH-USD')).toEqual(
      await storedMessages(kind, h, 'trades', 'kraken', 'ETH-USD'),
    );
  }, 120_000);
});

// ---- protocol, auth and limits: the embedded store with a fixed data set ----

async function writeTrades(store: Store, exchange: Exchange, symbol: string, count: number): Promise<void> {
  const stats = await store.marketStats(exchange, symbol);
  const first = (stats?.lastTradeId ?? 0) + 1;
  const list = makeTrades(
    exchange,
    symbol,
    first,
    43_000,
    2,
    [{ startUs: Date.now() * 1000, count, meanStepUs: 1000 }],
    first,
  );
  const r = await store.ingestTrades(exchange, symbol, list, aggregateByMinute(list));
  expect(r.written).toBe(count);
}

async function filledStore(): Promise<EmbeddedStore> {
  const store = new EmbeddedStore({ maxTradesPerMarket: 1_000_000 });
  await fill(store, dataSet());
  return store;
}

describe('/stream protocol', () => {
  it('answers every bad message with an error frame and keeps the connection and the server up', async () => {
    const store = await filledStore();
    const a = await api(store);
    const c = await client(a.ws);
    const cases: [unknown, string][] = [
      ['not json', 'invalid_json'],
      ['[1,2,3]', 'invalid_message'],
      ['null', 'invalid_message'],
      [{ op: 'dance' }, 'unknown_op'],
      [{ channels: ['trades'] }, 'unknown_op'],
      [{ op: 'subscribe' }, 'invalid_message'],
      [{ op: 'subscribe', channels: 'trades', symbols: ['BTC-USD'] }, 'invalid_message'],
      [{ op: 'subscribe', channels: [], symbols: ['BTC-USD'] }, 'invalid_message'],
      [{ op: 'subscribe', channels: ['candles'], symbols: ['BTC-USD'] }, 'invalid_channel'],
      [{ op: 'subscribe', channels: ['trades'], symbols: ['BTC_USD'] }, 'invalid_symbol'],
      [{ op: 'subscribe', channels: ['trades'], symbols: [42] }, 'invalid_message'],
      [
        { op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'], exchanges: ['binance'] },
        'unknown_exchange',
      ],
      [{ op: 'subscribe', channels: ['trades', 'book'], symbols: ['BTC-USD', 'DOGE-USD'] }, 'unknown_symbol'],
      [{ op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'], from: 'yesterday' }, 'invalid_from'],
      [{ op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'], from: 17 }, 'invalid_from'],
      [
        {
          op: 'subscribe',
          channels: ['trades'],
          symbols: ['BTC-USD'],
          from: { 'trades:coinbase:ETH-USD': '1-0' },
        },
        'invalid_from',
      ],
      [
        { op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'], from: { 'trades:BTC-USD': '1-0' } },
        'invalid_from',
      ],
      [{ op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'], fromm: '1-0' }, 'invalid_message'],
      [{ op: 'ping', extra: true }, 'invalid_message'],
      [
        {
          op: 'subscribe',
          channels: ['trades', 'book'],
          exchanges: ['coinbase', 'kraken'],
          symbols: Array.from({ length: 9 }, (_, i) => `C${i}-USD`),
        },
        'too_many_subscriptions',
      ],
    ];
    for (const [msg, code] of cases) {
      const answer = await c.request(msg);
      expect(answer, JSON.stringify(msg)).toMatchObject({ type: 'error', error: code });
      expect(typeof answer.message).toBe('string');
      expect(answer.message).not.toMatch(/\n\s+at /); // never a stack
    }
    // A binary frame.
    const from = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ error: 'invalid_message' });

    // Nothing half-subscribed by the failed requests; the connection still works.
    expect(await c.request({ op: 'unsubscribe' })).toEqual({ type: 'unsubscribed', streams: [] });
    expect(await c.request({ op: 'ping' })).toEqual({ type: 'pong' });
    const ok = await c.request({ op: 'subscribe', channels: ['trades'], symbols: ['XBT/USD', 'eth-usd'] });
    expect(ok.type).toBe('subscribed');
    expect(ok.streams.map((s: Json) => s.symbol)).toEqual(['BTC-USD', 'ETH-USD']);

    // Unsubscribing one stream stops it, the other goes on.
    const unsub = await c.request({ op: 'unsubscribe', symbols: ['BTC-USD'] });
    expect(unsub).toEqual({
      type: 'unsubscribed',
      streams: [{ channel: 'trades', exchange: 'coinbase', symbol: 'BTC-USD' }],
    });
    const mark = c.messages.length;
    await writeTrades(store, 'coinbase', 'BTC-USD', 5);
    await writeTrades(store, 'coinbase', 'ETH-USD', 5);
    await c.until('ETH-USD trades', () => c.trades('coinbase', 'ETH-USD').length >= 5);
    expect(c.messages.slice(mark).filter((m) => m.type === 'trade' && m.symbol === 'BTC-USD')).toEqual([]);

    // A message over the size limit closes that connection (1009), and only that one.
    const big = await client(a.ws);
    big.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(20_000) }));
    expect(await big.closed).toBe(1009);
    expect(await c.request({ op: 'ping' })).toEqual({ type: 'pong' });
    const again = await client(a.ws);
    expect(await again.request({ op: 'ping' })).toEqual({ type: 'pong' });
  });

  it('bounds subscriptions per connection', async () => {
    const store = await filledStore();
    const markets = Array.from({ length: 10 }, (_, i) => `Z${i}-USD`);
    for (const s of markets) {
      await store.addSymbol('coinbase', s);
      await store.addSymbol('kraken', s);
    }
    const a = await api(store);
    const c = await client(a.ws);
    const first = await c.request({
      op: 'subscribe',
      channels: ['trades', 'book'],
      exchanges: ['coinbase', 'kraken'],
      symbols: markets.slice(0, 8),
    });
    expect(first.streams).toHaveLength(MAX_SUBSCRIPTIONS);
    // Subscribing again to what it has is fine; one more stream is not.
    expect((await c.request({ op: 'subscribe', channels: ['trades'], symbols: [markets[0]] })).type).toBe(
      'subscribed',
    );
    expect(await c.request({ op: 'subscribe', channels: ['trades'], symbols: [markets[9]] })).toMatchObject({
      type: 'error',
      error: 'too_many_subscriptions',
    });
    const removed = await c.request({ op: 'unsubscribe', channels: ['book'], exchanges: ['kraken'] });
    expect(removed.streams).toHaveLength(8);
    expect((await c.request({ op: 'subscribe', channels: ['trades'], symbols: [markets[9]] })).type).toBe(
      'subscribed',
    );
  });

  it('applies API_TOKEN (Bearer header or ?token=) and the same-origin rule; refusals are JSON', async () => {
    const store = await filledStore();
    const token = 'stream-secret-123';
    const a = await api(store, { API_TOKEN: token });

    const none = await refusedUpgrade(a.ws);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: 'unauthorized' });
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    expect((await refusedUpgrade(`${a.ws}?token=wrong-token-000`)).status).toBe(401);
    expect((await refusedUpgrade(a.ws, { Authorization: 'Bearer nope-nope-nope' })).status).toBe(401);

    const byHeader = await client(a.ws, { Authorization: `Bearer ${token}` });
    expect((await byHeader.request({ op: 'ping' })).type).toBe('pong');
    const byQuery = await client(`${a.ws}?token=${token}`);
    expect((await byQuery.request({ op: 'subscribe', channels: ['book'], symbols: ['BTC-USD'] })).type).toBe(
      'subscribed',
    );
    // The book's current state comes first.
    const snap = await byQuery.next((m) => m.type === 'book');
    expect(snap).toMatchObject({
      kind: 'snapshot',
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      sequence: 1001,
      bids: [
        { price: 43000.5, size: 1.2 },
        { price: 43000.25, size: 0.5 },
        { price: 42999, size: 3 },
      ],
    });

    // Browsers: another site's page may not open it; the same origin may.
    const evil = await refusedUpgrade(`${a.ws}?token=${token}`, { Origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({ error: 'forbidden' });
    const same = await client(`${a.ws}?token=${token}`, { Origin: `http://127.0.0.1:${a.port}` });
    expect((await same.request({ op: 'ping' })).type).toBe('pong');

    // Other upgrade paths: 404 JSON. A plain GET /stream: 426 (401 first without a token).
    const other = await refusedUpgrade(`ws://127.0.0.1:${a.port}/trades/BTC-USD?token=${token}`);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: 'not_found' });
    expect((await get(a.base, '/stream')).status).toBe(401);
    const plain = await get(a.base, '/stream', { Authorization: `Bearer ${token}` });
    expect(plain.status).toBe(426);
    expect(plain.body).toMatchObject({ error: 'upgrade_required' });

    // The page takes the token the same two ways; its static assets hold no data and are public.
    expect((await get(a.base, '/')).status).toBe(401);
    const page = await get(a.base, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.text).not.toMatch(/<script>(?!<)/); // no inline script
    expect((await get(a.base, '/', { Authorization: `Bearer ${token}` })).status).toBe(200);
    for (const asset of ['dashboard.js', 'dashboard.css', 'lightweight-charts.js', 'favicon.svg']) {
      expect((await get(a.base, `/assets/${asset}`)).status, asset).toBe(200);
    }
    expect((await get(a.base, '/assets/..%2Fpackage.json')).status).toBe(404);
    expect(
      await metricValue(a.metrics, 'http_requests_total', { path: '/stream', status: '401' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('drops a client that cannot keep up, and only that one', async () => {
    const store = await filledStore();
    const a = await api(store, {}, { maxBufferedBytes: 128 * 1024 });
    const slow = await client(a.ws);
    await slow.request({ op: 'subscribe', channels: ['trades'], symbols: ['BTC-USD'] });
    const fine = await client(a.ws);
    await fine.request({
      op: 'subscribe',
      channels: ['trades'],
      symbols: ['ETH-USD'],
      exchanges: ['kraken'],
    });

    // The slow client stops reading; trades keep coming.
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    // Until the hub gives up on it (its stream then has no subscriber left).
    for (let i = 0; i < 400 && a.endpoint.hub.streamCount > 1; i++) {
      await writeTrades(store, 'coinbase', 'BTC-USD', 1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(a.endpoint.hub.streamCount).toBe(1);
    socket.resume();
    expect(await slow.closed).toBe(1008);
    const got = slow.trades('coinbase', 'BTC-USD');
    expect(slow.messages.at(-1)).toMatchObject({ type: 'error', error: 'slow_consumer' });
    // What it did get was in order with nothing skipped.
    for (let i = 1; i < got.length; i++)
      expect(Number(got[i].trade_id)).toBe(Number(got[i - 1].trade_id) + 1);

    await writeTrades(store, 'kraken', 'ETH-USD', 3);
    await fine.until('the other client still served', () => fine.trades('kraken', 'ETH-USD').length >= 3);
    expect(a.endpoint.clientCount).toBe(1);
  });

  it('closes open streams when the server shuts down', async () => {
    const store = await filledStore();
    const a = await startStreamApi(store);
    const c = await WsClient.open(a.ws);
    await c.request({ op: 'subscribe', channels: ['trades', 'book'], symbols: ['BTC-USD'] });
    await a.close();
    expect(await c.closed).toBe(1001);
  });
});
