import { describe, expect, it } from 'vitest';
import { createCoinbaseParser } from '../../src/exchanges/coinbase/parse.js';
import { fixtureLines } from '../helpers/fixtures.js';
import { RecordingSink } from '../helpers/recording-sink.js';

const RECORDING = 'coinbase/exchange_ws_2021-04-17_level2_ticker_matches_cryptofeed.jsonl';

function productsOf(lines: string[]): string[] {
  const set = new Set<string>();
  for (const l of lines) {
    const o = JSON.parse(l) as { product_id?: string };
    if (o.product_id) set.add(o.product_id);
  }
  return [...set];
}

describe('Coinbase parser on real frames', () => {
  const lines = fixtureLines(RECORDING);
  const parse = createCoinbaseParser(productsOf(lines));
  const sink = new RecordingSink();
  for (const l of lines) parse(l, 1, sink);
  const raw = lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('parses every frame of the recording without a malformed one', () => {
    expect(sink.malformedKinds).toEqual([]);
    expect(sink.types.length).toBe(lines.length);
  });

  it('turns every match and last_match into a trade with the taker side', () => {
    const matches = raw.filter((o) => o.type === 'match' || o.type === 'last_match');
    expect(matches.length).toBe(30);
    const trades = sink.allTrades;
    expect(trades.length).toBe(matches.length);
    for (const [i, m] of matches.entries()) {
      const t = trades[i]!;
      expect(t.exchange).toBe('coinbase');
      expect(t.symbol).toBe(m.product_id);
      expect(t.id).toBe(m.trade_id);
      expect(t.price).toBe(m.price);
      expect(t.size).toBe(m.size);
      expect(t.side).toBe(m.side === 'sell' ? 'buy' : 'sell');
      expect(t.ts).toBe(
        Date.parse(m.time as string) * 1000 + (Number((m.time as string).slice(20, 26)) % 1000),
      );
    }
    // last_match arrives flagged as snapshot (history sent on subscribe).
    expect(sink.tradeBatches.filter((b) => b.snapshot).length).toBe(10);
  });

  it('turns snapshots and l2updates into book messages with exact level text', () => {
    const snaps = sink.books.filter((b) => b.kind === 'snapshot');
    const updates = sink.books.filter((b) => b.kind === 'update');
    expect(snaps.length).toBe(10);
    expect(updates.length).toBe(2427);
    const firstSnap = raw.find((o) => o.type === 'snapshot') as { bids: string[][]; asks: string[][] };
    expect(snaps[0]!.bids).toEqual(firstSnap.bids);
    expect(snaps[0]!.asks).toEqual(firstSnap.asks);
    const firstUpdate = raw.find((o) => o.type === 'l2update') as { changes: string[][] };
    const u = updates[0]!;
    expect([...u.bids.map((l) => ['buy', ...l]), ...u.asks.map((l) => ['sell', ...l])].length).toBe(
      firstUpdate.changes.length,
    );
  });

  it('counts ticker frames as known types and acks as subscriptions', () => {
    expect(sink.types.filter((t) => t === 'ticker').length).toBe(30);
    expect(sink.subscriptions.length).toBeGreaterThanOrEqual(3);
  });
});

describe('Coinbase parser on odd real messages', () => {
  it('handles the tardis test messages: zero-time sentinel, malformed size, tickers', () => {
    const lines = fixtureLines('coinbase/exchange_ws_tardis-node_test_messages.jsonl');
    const parse = createCoinbaseParser(['ETC-GBP', 'BTC-EUR', 'ETH-USD', 'BAT-USDC', 'YFI-USD', 'BTC-USD']);
    const sink = new RecordingSink();
    for (const l of lines) parse(l, 42, sink);
    expect(sink.allTrades.length).toBe(1);
    expect(sink.allTrades[0]!.side).toBe('sell'); // maker bought
    const sentinel = sink.books.find((b) => b.kind === 'update' && b.symbol === 'BTC-EUR' && b.ts === 42);
    expect(sentinel).toBeDefined(); // year-0001 time falls back to the receive time
    const yfi = sink.books.find((b) => b.symbol === 'YFI-USD')!;
    expect(yfi.bids).toEqual([['40533.24', '0.020416']]); // "0.-10000" level dropped...
    expect(sink.malformedKinds.map((m) => m.kind)).toContain('book_bad_level'); // ...and counted
  });

  it('reads the docs heartbeat with its last trade id', () => {
    const sink = new RecordingSink();
    createCoinbaseParser(['BTC-USD'])(fixtureLines('coinbase/exchange_ws_docs_examples.jsonl')[0]!, 1, sink);
    expect(sink.heartbeats).toEqual([{ symbol: 'BTC-USD', lastTradeId: 20 }]);
  });

  it('counts garbage without throwing', () => {
    const sink = new RecordingSink();
    const parse = createCoinbaseParser(['BTC-USD']);
    const bad = [
      '{not json',
      '[]',
      'null',
      '{"type":"match","trade_id":1,"side":"buy","size":"1","price":"NaN","product_id":"BTC-USD","time":"2021-01-01T00:00:00Z"}',
      '{"type":"match","trade_id":2,"side":"buy","size":"1","price":"-5","product_id":"BTC-USD","time":"2021-01-01T00:00:00Z"}',
      '{"type":"match","trade_id":"x","side":"buy","size":"1","price":"5","product_id":"BTC-USD","time":"2021-01-01T00:00:00Z"}',
      '{"type":"match","trade_id":3,"side":"up","size":"1","price":"5","product_id":"BTC-USD","time":"2021-01-01T00:00:00Z"}',
      '{"type":"match","trade_id":4,"side":"buy","size":"1","price":"5","product_id":"BTC-USD","time":"soon"}',
    ];
    for (const b of bad) expect(() => parse(b, 1, sink)).not.toThrow();
    expect(sink.allTrades).toEqual([]);
    expect(sink.malformedKinds.length).toBe(bad.length);
    parse('{"type":"brand_new_type"}', 1, sink);
    expect(sink.unknownTypes).toEqual(['brand_new_type']);
  });
});

describe('Coinbase match fast path', () => {
  const lines = fixtureLines(RECORDING).filter((l) => l.startsWith('{"type":"match"'));

  it('gives exactly what the full parser gives, on every real match frame', () => {
    const parse = createCoinbaseParser(productsOf(lines));
    const fast = new RecordingSink();
    const full = new RecordingSink();
    for (const l of lines) {
      parse(l, 9, fast);
      // Same frame with its keys in another order: only the full parser takes it.
      const o = JSON.parse(l) as Record<string, unknown>;
      const { type, ...rest } = o;
      parse(JSON.stringify({ ...rest, type }), 9, full);
    }
    expect(lines.length).toBeGreaterThan(10);
    expect(fast.allTrades).toEqual(full.allTrades);
    expect(fast.types).toEqual(full.types);
  });

  it('reads matches whose fields come in another order the same way', () => {
    const parse = createCoinbaseParser(productsOf(lines));
    const searched = new RecordingSink();
    const full = new RecordingSink();
    for (const l of lines) {
      const { type, time, price, size, ...rest } = JSON.parse(l) as Record<string, unknown>;
      // `type` first keeps it on the fast path, which finds the other fields wherever they are.
      parse(JSON.stringify({ type, time, ...rest, price, size }), 9, searched);
      parse(JSON.stringify({ ...rest, price, size, time, type }), 9, full);
    }
    expect(searched.allTrades.length).toBe(lines.length);
    expect(searched.allTrades).toEqual(full.allTrades);
    expect(searched.malformedKinds).toEqual([]);
  });

  it('leaves anything unusual to the full parser, which reports it', () => {
    const parse = createCoinbaseParser(['BTC-USD']);
    const sink = new RecordingSink();
    const good =
      '{"type":"match","trade_id":7,"maker_order_id":"a","taker_order_id":"b","side":"sell","size":"0.5","price":"100.25","product_id":"BTC-USD","sequence":1,"time":"2021-04-17T16:43:37.089723Z"}';
    parse(good, 1, sink);
    parse(good.slice(0, -1), 1, sink); // truncated
    parse(good.replace('"price":"100.25"', '"price":"NaN"'), 1, sink);
    parse(good.replace('"maker_order_id":"a"', '"maker_order_id":"a\\"b"'), 1, sink); // escape: full parser
    expect(sink.allTrades.map((t) => [t.id, t.price, t.side])).toEqual([
      [7, '100.25', 'buy'],
      [7, '100.25', 'buy'],
    ]);
    expect(sink.malformedKinds.map((m) => m.kind)).toEqual(['invalid_json', 'match_bad_number']);
  });
});
