import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/book/order-book.js';
import type { BookMessage } from '../../src/core/types.js';
import { krakenChecksum, krakenChecksumInput } from '../../src/exchanges/kraken/checksum.js';
import { createKrakenParser } from '../../src/exchanges/kraken/parse.js';
import { referenceCrc32, referenceKrakenChecksum } from '../helpers/crc32.js';
import { fixtureLines } from '../helpers/fixtures.js';
import { RecordingSink } from '../helpers/recording-sink.js';

function replay(file: string, symbol: string, depth: number) {
  const sink = new RecordingSink();
  const parse = createKrakenParser([symbol]);
  for (const l of fixtureLines(file)) parse(l, 1, sink);
  const book = new OrderBook();
  const results: { sent: number; ours: number; reference: number }[] = [];
  for (const m of sink.books) {
    if (m.kind === 'snapshot') book.reset(m.bids, m.asks);
    else book.apply(m.bids, m.asks);
    book.truncate(depth);
    const asks = book.asks.top().map((l) => [l.price, l.size] as [string, string]);
    const bids = book.bids.top().map((l) => [l.price, l.size] as [string, string]);
    results.push({
      sent: m.checksum!,
      ours: krakenChecksum(book),
      reference: referenceKrakenChecksum(asks, bids),
    });
  }
  return { sink, book, results };
}

describe('Kraken v2 book checksum on real frames', () => {
  it('reproduces the documented example 3310070434', () => {
    const sink = new RecordingSink();
    createKrakenParser(['BTC-USD'])(fixtureLines('kraken/v2_docs_examples.jsonl')[0]!, 1, sink);
    const snap = sink.books[0] as BookMessage;
    const book = new OrderBook();
    book.reset(snap.bids, snap.asks);
    expect(snap.checksum).toBe(3310070434);
    expect(krakenChecksum(book)).toBe(3310070434);
    expect(referenceCrc32(krakenChecksumInput(book))).toBe(3310070434);
    expect(krakenChecksumInput(book).startsWith('452852100000')).toBe(true);
  });

  it.each([
    ['kraken/v2_book_minagbp_depth25_2026-08-16_depthcharge.jsonl', 'MINA-GBP', 25, 30],
    ['kraken/v2_book_algousd_2024-10-03_readme.jsonl', 'ALGO-USD', 10, 2],
  ])('verifies every checksum of %s', (file, symbol, depth, expected) => {
    const { results, sink } = replay(file, symbol, depth);
    expect(sink.malformedKinds).toEqual([]);
    expect(results.length).toBe(expected);
    for (const r of results) {
      expect(r.ours).toBe(r.sent);
      expect(r.reference).toBe(r.sent); // independent CRC32 over the same book
    }
  });

  it('keeps trailing zeros of prices and quantities as received', () => {
    const { sink } = replay('kraken/v2_book_minagbp_depth25_2026-08-16_depthcharge.jsonl', 'MINA-GBP', 25);
    const snap = sink.books[0]!;
    expect(snap.bids.some(([p]) => p === '0.0280')).toBe(true);
    expect(snap.bids[0]).toEqual(['0.0286', '74198.19125726']);
  });

  it('catches a deliberately altered level', () => {
    const { book, results } = replay(
      'kraken/v2_book_minagbp_depth25_2026-08-16_depthcharge.jsonl',
      'MINA-GBP',
      25,
    );
    const last = results.at(-1)!;
    expect(krakenChecksum(book)).toBe(last.sent);
    const best = book.asks.best()!;
    book.asks.set(best.price, `${best.size}1`); // one more digit on the best ask size
    expect(krakenChecksum(book)).not.toBe(last.sent);
  });
});

describe('Kraken v2 parser', () => {
  it('parses the docs trade snapshot with exact number text and taker side', () => {
    const sink = new RecordingSink();
    createKrakenParser(['MATIC-USD'])(fixtureLines('kraken/v2_docs_examples.jsonl')[1]!, 7, sink);
    expect(sink.tradeBatches.length).toBe(1);
    expect(sink.tradeBatches[0]!.snapshot).toBe(true);
    expect(sink.allTrades).toEqual([
      {
        exchange: 'kraken',
        symbol: 'MATIC-USD',
        id: 4665846,
        price: '0.5147',
        size: '6423.46326',
        side: 'buy',
        ts: Date.UTC(2023, 8, 25, 7, 48, 36) * 1000 + 925533,
        recvTs: 7,
      },
      {
        exchange: 'kraken',
        symbol: 'MATIC-USD',
        id: 4665847,
        price: '0.5147',
        size: '1136.19677815',
        side: 'buy',
        ts: Date.UTC(2023, 8, 25, 7, 49, 36) * 1000 + 925603,
        recvTs: 7,
      },
    ]);
  });

  it('reads acks, heartbeats and status (with a connection_id above 2^53) without errors', () => {
    const sink = new RecordingSink();
    const parse = createKrakenParser(['ALGO-USD', 'MINA-GBP']);
    for (const l of fixtureLines('kraken/v2_book_algousd_2024-10-03_readme.jsonl')) parse(l, 1, sink);
    for (const l of fixtureLines('kraken/v2_book_minagbp_depth25_2026-08-16_depthcharge.jsonl'))
      parse(l, 1, sink);
    for (const l of fixtureLines('kraken/v2_docs_examples.jsonl').slice(2)) parse(l, 1, sink);
    expect(sink.malformedKinds).toEqual([]);
    expect(sink.heartbeats.length).toBe(61);
    expect(sink.subscriptions.some((s) => s.channel === 'book' && s.symbols[0] === 'MINA-GBP')).toBe(true);
    expect(sink.types.filter((t) => t === 'status').length).toBe(2);
  });

  it('counts garbage and refuses NaN or negative numbers without throwing', () => {
    const sink = new RecordingSink();
    const parse = createKrakenParser(['BTC-USD']);
    const trade = (price: string, qty = '1') =>
      `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":${price},"qty":${qty},"ord_type":"limit","trade_id":5,"timestamp":"2023-09-25T07:48:36.925533Z"}]}`;
    for (const f of ['{', '"x"', trade('NaN'), trade('-1'), trade('1', '0'), trade('"abc"')]) {
      expect(() => parse(f, 1, sink)).not.toThrow();
    }
    expect(sink.allTrades).toEqual([]);
    expect(sink.malformedKinds.length).toBe(6);
    parse('{"channel":"brand_new"}', 1, sink);
    expect(sink.unknownTypes).toEqual(['brand_new']);
    parse(
      '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":"x","qty":1}],"asks":[],"checksum":1}]}',
      1,
      sink,
    );
    expect(sink.broken).toEqual([{ symbol: 'BTC-USD', reason: 'malformed book message' }]);
  });

  it('reports a refused subscription', () => {
    const sink = new RecordingSink();
    createKrakenParser(['BTC-USD'])(
      '{"error":"Currency pair not supported","method":"subscribe","req_id":3,"success":false,"symbol":"BTC/USD","time_in":"2023-09-26T16:49:20.962586Z","time_out":"2023-09-26T16:49:20.962630Z"}',
      1,
      sink,
    );
    expect(sink.errors).toEqual([
      { message: 'subscribe failed: Currency pair not supported', symbol: 'BTC-USD' },
    ]);
  });
});

describe('Kraken trade fast path', () => {
  const docs = JSON.parse(
    fixtureLines('kraken/v2_docs_examples.jsonl')[1]!.replace(/"(price|qty)":([0-9.]+)/g, '"$1":"$2"'),
  ) as { data: Record<string, string | number>[] };
  // The docs' trades as an update frame, numbers as written on the wire.
  const entries = docs.data.map(
    (t) =>
      `{"symbol":"${t.symbol}","side":"${t.side}","price":${t.price},"qty":${t.qty},"ord_type":"${t.ord_type}","trade_id":${t.trade_id},"timestamp":"${t.timestamp}"}`,
  );
  const frame = `{"channel":"trade","type":"update","data":[${entries.join(',')}]}`;

  it('gives exactly what the full parser gives', () => {
    const parse = createKrakenParser(['MATIC-USD']);
    const fast = new RecordingSink();
    const full = new RecordingSink();
    parse(frame, 3, fast);
    // Keys in another order: only the full parser takes it.
    parse(
      frame.replace('{"channel":"trade","type":"update",', '{"type":"update","channel":"trade",'),
      3,
      full,
    );
    expect(fast.allTrades.length).toBe(2);
    expect(fast.allTrades).toEqual(full.allTrades);
    expect(fast.allTrades[1]!.size).toBe('1136.19677815');
    expect(fast.types).toEqual(full.types);
  });

  it('reads entries whose keys are in another order, or whose numbers have exponents, the same way', () => {
    const parse = createKrakenParser(['MATIC-USD']);
    const reordered = docs.data.map(
      (t) =>
        `{"trade_id":${t.trade_id},"timestamp":"${t.timestamp}","qty":${t.qty},"price":${t.price},"side":"${t.side}","symbol":"${t.symbol}","ord_type":"${t.ord_type}"}`,
    );
    const variants = [
      // One entry in Kraken's order, one not: each entry takes its own path.
      `{"channel":"trade","type":"update","data":[${entries[0]},${reordered[1]}]}`,
      `{"channel":"trade","type":"update","data":[${reordered.join(',')}]}`,
      // No ord_type, and an exponent: the ordered scan gives way to the key search.
      frame.replace(',"ord_type":"limit"', '').replace('"qty":6423.46326', '"qty":6.42346326e3'),
    ];
    for (const v of variants) {
      const fast = new RecordingSink();
      const full = new RecordingSink();
      parse(v, 3, fast);
      parse(v.replace('{"channel":"trade","type":"update",', '{"type":"update","channel":"trade",'), 3, full);
      expect(fast.allTrades.length).toBe(2);
      expect(fast.allTrades).toEqual(full.allTrades);
      expect(fast.malformedKinds).toEqual([]);
    }
  });

  it('leaves anything unusual to the full parser, which reports it', () => {
    const parse = createKrakenParser(['MATIC-USD']);
    const sink = new RecordingSink();
    parse(frame.slice(0, -1), 1, sink); // truncated
    parse(frame.replace('"price":0.5147', '"price":NaN'), 1, sink);
    parse(frame.replace('"side":"buy"', '"side":"up"'), 1, sink);
    expect(sink.malformedKinds.map((m) => m.kind)).toEqual([
      'invalid_json',
      'trade_bad_number',
      'trade_bad_side',
    ]);
    // Each bad entry is dropped (and back-filled later by id); the other one still parsed.
    expect(sink.allTrades.map((t) => t.id)).toEqual([4665847, 4665847]);
  });
});
