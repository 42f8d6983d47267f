/** Fault injection: each flag's effect, seen by plain clients and the project's frame parsers. */

import { afterEach, describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/book/order-book.js';
import type { Exchange } from '../../src/core/types.js';
import { createCoinbaseParser } from '../../src/exchanges/coinbase/parse.js';
import { krakenChecksum } from '../../src/exchanges/kraken/checksum.js';
import { createKrakenParser } from '../../src/exchanges/kraken/parse.js';
import { type RunningSimulators, type SimulatorOptions, startSimulators } from '../../src/sim/index.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { TestClient, until } from './support/client.js';

type Json = Record<string, unknown>;

let sim: RunningSimulators | undefined;
const clients: TestClient[] = [];

async function start(options: Partial<SimulatorOptions>): Promise<RunningSimulators> {
  sim = await startSimulators({
    exchanges: ['coinbase', 'kraken'],
    symbols: ['BTC-USD'],
    ratePerSymbol: 300,
    seed: 9,
    ports: { coinbase: 0, kraken: 0 },
    ...options,
  });
  return sim;
}

async function client(s: RunningSimulators, exchange: Exchange): Promise<TestClient> {
  const c = await TestClient.open(s.urls[exchange]!.ws);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

const CB_SUBSCRIBE = { type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches', 'heartbeat'] };
const KR_TRADES = {
  method: 'subscribe',
  params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: true },
  req_id: 1,
};

/** Trade ids a client saw, from the frames that parse (Coinbase match/last_match, Kraken trade). */
function tradeIds(exchange: Exchange, c: TestClient): number[] {
  const sink = new RecordingSink();
  const parse = exchange === 'coinbase' ? createCoinbaseParser(['BTC-USD']) : createKrakenParser(['BTC-USD']);
  for (const f of c.frames) parse(f.text, 0, sink);
  return sink.allTrades.map((t) => t.id);
}

async function stopAndReceiveAll(s: RunningSimulators, exchange: Exchange, c: TestClient): Promise<number> {
  s.stopGenerating();
  await s.done;
  const last = Number(s.truth()[exchange]!['BTC-USD']!.last_trade_id);
  await c.waitFor(() => tradeIds(exchange, c).includes(last), 'the last trade');
  return last;
}

describe('--drop-every', () => {
  it.each(['coinbase', 'kraken'] as const)(
    '%s: cuts each connection right after n messages',
    async (exchange) => {
      const s = await start({ faults: { dropEvery: 25 } });
      for (let round = 0; round < 2; round++) {
        const c = await client(s, exchange);
        c.send(exchange === 'coinbase' ? CB_SUBSCRIBE : KR_TRADES);
        await c.waitFor(() => c.closed, 'the drop');
        expect(c.frames).toHaveLength(25);
        expect(c.closeCode).toBe(1006); // no close frame, as after ws.terminate()
      }
    },
  );
});

describe('--gap-every', () => {
  it.each(['coinbase', 'kraken'] as const)(
    '%s: withholds trades from the WebSocket that REST still serves',
    async (exchange) => {
      const s = await start({ faults: { gapEvery: 15 } });
      await until(() => s.truth()[exchange]!['BTC-USD']!.count > 0, 'first trades');
      const c = await client(s, exchange);
      c.send(exchange === 'coinbase' ? CB_SUBSCRIBE : KR_TRADES);
      await c.waitFor(
        () => c.messages().filter((m) => m.type === 'heartbeat' || m.channel === 'heartbeat').length >= 2,
        'heartbeats',
      );
      await stopAndReceiveAll(s, exchange, c);

      const made = s.trades(exchange, 'BTC-USD');
      const got = tradeIds(exchange, c);
      const from = got.find((id) => made.find((t) => t.id === id && !t.withheld)) ?? got[0]!;
      // After the first trade received, exactly the visible trades arrive (a Coinbase last_match may be a withheld one).
      const expected = made.filter((t) => t.id >= from && !t.withheld).map((t) => t.id);
      expect(got.filter((id) => id >= from)).toEqual(expected);
      const withheld = made.filter((t) => t.withheld && t.id > from).map((t) => t.id);
      expect(withheld.length).toBeGreaterThan(5);
      expect(made.at(-1)!.withheld).toBe(false); // the tail of a run is never withheld

      // REST still serves every withheld trade.
      if (exchange === 'coinbase') {
        for (const id of withheld.slice(0, 10)) {
          const items = (await (
            await fetch(`${s.urls.coinbase!.rest}/products/BTC-USD/trades?before=${id - 1}&limit=1`)
          ).json()) as Json[];
          expect(items.map((t) => t.trade_id)).toEqual([id]);
        }
        // Heartbeats are in order with the stream and cover withheld trades: each reports the last
        // trade offered before it, so it is >= the last match before it and < the next match after it.
        const stream = c
          .messages()
          .filter((m) => ['match', 'last_match', 'heartbeat'].includes(m.type as string));
        const matchIds = stream.filter((m) => m.type !== 'heartbeat').map((m) => m.trade_id as number);
        let seen = 0;
        for (const m of stream) {
          if (m.type !== 'heartbeat') {
            seen++;
            continue;
          }
          const id = m.last_trade_id as number;
          expect(id).toBeGreaterThanOrEqual(matchIds[seen - 1] ?? 0);
          if (seen < matchIds.length) expect(id).toBeLessThan(matchIds[seen]!);
        }
      } else {
        const rows: unknown[][] = [];
        let since = '0';
        for (;;) {
          const body = (await (
            await fetch(`${s.urls.kraken!.rest}/0/public/Trades?pair=XBTUSD&since=${since}`)
          ).json()) as Json;
          const page = (body.result as Json).XXBTZUSD as unknown[][];
          if (page.length === 0) break;
          rows.push(...page);
          since = (body.result as Json).last as string;
        }
        const served = new Set(rows.map((r) => r[6]));
        for (const id of withheld) expect(served.has(id)).toBe(true);
      }
    },
  );
});

describe('--bad-frame-every', () => {
  it.each(['coinbase', 'kraken'] as const)(
    '%s: extra malformed frames are counted by the parser and every real trade still arrives',
    async (exchange) => {
      const every = 7;
      const s = await start({ faults: { badFrameEvery: every } });
      await until(() => s.truth()[exchange]!['BTC-USD']!.count > 0, 'first trades');
      const c = await client(s, exchange);
      c.send(exchange === 'coinbase' ? CB_SUBSCRIBE : KR_TRADES);
      await c.waitFor(() => c.frames.filter((f) => f.binary).length >= 4, 'three full rounds of bad frames');
      await stopAndReceiveAll(s, exchange, c);

      const sink = new RecordingSink();
      const parse =
        exchange === 'coinbase' ? createCoinbaseParser(['BTC-USD']) : createKrakenParser(['BTC-USD']);
      for (const f of c.frames) parse(f.text, 0, sink);
      const bad = sink.malformedKinds.length + sink.unknownTypes.length;
      const real = c.frames.length - bad;
      expect(bad).toBe(Math.floor(real / every));
      expect(bad).toBeGreaterThanOrEqual(21);
      const kinds = new Set(sink.malformedKinds.map((k) => k.kind));
      expect(kinds.has('invalid_json')).toBe(true);
      expect(sink.unknownTypes.length).toBeGreaterThan(0);
      expect([...kinds].some((k) => k.endsWith('bad_number'))).toBe(true);
      expect([...kinds].some((k) => k.endsWith('bad_trade_id'))).toBe(true);
      // Every real trade arrives, once, in order.
      const ids = sink.allTrades.map((t) => t.id);
      const made = s.trades(exchange, 'BTC-USD').filter((t) => t.id >= ids[0]!);
      expect(ids).toEqual(made.map((t) => t.id));
    },
  );
});

describe('--corrupt-checksum-every', () => {
  it('kraken: every n-th update fails the checksum; a resubscribe brings a correct snapshot', async () => {
    const every = 5;
    const s = await start({ ratePerSymbol: 100, bookRate: 300, faults: { corruptChecksumEvery: every } });
    const c = await client(s, 'kraken');
    const sub = (method: string) => ({ method, params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 } });
    c.send(sub('subscribe'));
    // Processes the stream live like a collector: verify every checksum; on a mismatch
    // resubscribe that book and ignore updates until the fresh snapshot.
    const parse = createKrakenParser(['BTC-USD']);
    const sink = new RecordingSink();
    const book = new OrderBook();
    let done = 0;
    let updates = 0;
    let inSync = false;
    const mismatches: number[] = [];
    const matchedAtMultiple: number[] = [];
    let snapshots = 0;
    const feed = () => {
      for (; done < c.frames.length; done++) {
        const before = sink.books.length;
        parse(c.frames[done]!.text, 0, sink);
        for (const m of sink.books.slice(before)) {
          if (m.kind === 'snapshot') {
            book.reset(m.bids, m.asks);
            expect(krakenChecksum(book)).toBe(m.checksum);
            inSync = true;
            snapshots++;
            continue;
          }
          updates++;
          if (!inSync) continue;
          book.apply(m.bids, m.asks);
          book.truncate(10);
          if (krakenChecksum(book) !== m.checksum) {
            mismatches.push(updates);
            inSync = false;
            c.send(sub('unsubscribe'));
            c.send(sub('subscribe'));
          } else if (updates % every === 0) matchedAtMultiple.push(updates);
        }
      }
      return mismatches.length >= 6;
    };
    await c.waitFor(feed, 'six checksum mismatches');
    expect(mismatches.every((n) => n % every === 0)).toBe(true);
    expect(matchedAtMultiple).toEqual([]); // while in sync, every n-th update is caught
    expect(snapshots).toBe(mismatches.length); // a fresh snapshot after each resubscribe but the last
  });

  it('coinbase: every n-th l2update crosses the book; a resubscribe brings a clean snapshot', async () => {
    const every = 4;
    const s = await start({ ratePerSymbol: 100, bookRate: 300, faults: { corruptChecksumEvery: every } });
    const c = await client(s, 'coinbase');
    const sub = (type: string) => ({ type, product_ids: ['BTC-USD'], channels: ['level2_batch'] });
    c.send(sub('subscribe'));
    const book = new OrderBook();
    let done = 0;
    let updates = 0;
    let inSync = false;
    const crossedAt: number[] = [];
    let cleanSnapshots = 0;
    const feed = () => {
      const all = c.messages();
      for (; done < all.length; done++) {
        const m = all[done]!;
        if (m.type === 'snapshot') {
          book.reset(m.bids as [string, string][], m.asks as [string, string][]);
          if (!book.isCrossed()) cleanSnapshots++;
          inSync = true;
        } else if (m.type === 'l2update') {
          updates++;
          if (!inSync) continue;
          for (const [side, price, size] of m.changes as string[][])
            (side === 'buy' ? book.bids : book.asks).set(price!, size!);
          if (book.isCrossed()) {
            crossedAt.push(updates);
            inSync = false;
            c.send(sub('unsubscribe'));
            c.send(sub('subscribe'));
          } else expect(updates % every).not.toBe(0);
        }
      }
      return crossedAt.length >= 6;
    };
    await c.waitFor(feed, 'six crossed books');
    expect(crossedAt.every((n) => n % every === 0)).toBe(true);
    expect(cleanSnapshots).toBe(crossedAt.length);
  });
});
