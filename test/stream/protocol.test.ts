/** The `/stream` message parser and stream-id ordering (no server). */

import { describe, expect, it } from 'vitest';
import {
  compareStreamIds,
  isStreamId,
  ProtocolError,
  parseRequest,
  specKey,
  tradeMessage,
} from '../../src/api/stream/protocol.js';

describe('stream ids', () => {
  it('orders like Redis, exactly, whatever their length', () => {
    expect(compareStreamIds('10-0', '9-5')).toBeGreaterThan(0);
    expect(compareStreamIds('1700000000000-1', '1700000000000-10')).toBeLessThan(0);
    expect(compareStreamIds('1700000000000', '1700000000000-0')).toBe(0);
    expect(compareStreamIds('0', '0-0')).toBe(0);
    expect(compareStreamIds('18446744073709551615-2', '18446744073709551615-1')).toBeGreaterThan(0);
    expect(compareStreamIds('18446744073709551614-9', '18446744073709551615-0')).toBeLessThan(0);
    expect(compareStreamIds('007-1', '7-1')).toBe(0);
  });

  it('accepts only well-formed ids', () => {
    for (const ok of ['0', '0-0', '1700000000000-3', '1700000000000']) expect(isStreamId(ok), ok).toBe(true);
    for (const bad of ['', '$', '+', '-', '1-', '-1', '1-2-3', 'abc', '1.5', ' 1-0', '1-0 ']) {
      expect(isStreamId(bad), bad).toBe(false);
    }
  });
});

describe('client messages', () => {
  it('canonicalises names and expands a subscribe into streams', () => {
    const r = parseRequest(
      JSON.stringify({
        op: 'subscribe',
        channels: ['book', 'trades'],
        symbols: ['xbt/usd', 'BTC-USD', 'eth-usd'],
        exchanges: [' Kraken '],
        from: { 'trades:kraken:XBT/USD': '5-1' },
      }),
    );
    expect(r.op).toBe('subscribe');
    if (r.op !== 'subscribe') return;
    expect(r.streams.map(specKey)).toEqual([
      'book:kraken:BTC-USD',
      'book:kraken:ETH-USD',
      'trades:kraken:BTC-USD',
      'trades:kraken:ETH-USD',
    ]);
    expect([...r.from]).toEqual([['trades:kraken:BTC-USD', '5-1']]);
  });

  it('defaults the exchange to coinbase, like the REST routes', () => {
    const r = parseRequest('{"op":"subscribe","channels":["trades"],"symbols":["SOL-EUR"],"from":"0"}');
    if (r.op !== 'subscribe') throw new Error(r.op);
    expect(r.streams).toEqual([{ channel: 'trades', exchange: 'coinbase', symbol: 'SOL-EUR' }]);
    expect(r.from.get('trades:coinbase:SOL-EUR')).toBe('0');
  });

  it('reads an unsubscribe as a filter (nothing = everything)', () => {
    expect(parseRequest('{"op":"unsubscribe"}')).toEqual({ op: 'unsubscribe', filter: {} });
    expect(parseRequest('{"op":"unsubscribe","symbols":["btc/usd"]}')).toEqual({
      op: 'unsubscribe',
      filter: { symbols: ['BTC-USD'] },
    });
  });

  it('echoes no more than a clipped, printable part of bad input', () => {
    const message = (channel: string) => {
      try {
        parseRequest(JSON.stringify({ op: 'subscribe', channels: [channel], symbols: ['BTC-USD'] }));
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).code).toBe('invalid_channel');
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message('A'.repeat(500)).length).toBeLessThan(120);
    const m = message('ab\u0000"\\<x>');
    expect(m).toContain('"ab???<x>"');
    expect(m.includes('\u0000')).toBe(false);
  });
});

describe('server messages', () => {
  it('send a trade as the REST Trade plus type and id', () => {
    const text = tradeMessage({
      streamId: '1700000000123-4',
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      id: 42,
      price: '43210.50',
      size: '0.00100000',
      side: 'sell',
      ts: 1_700_000_000_123_456,
      recvTs: 1_700_000_000_124_000,
    });
    expect(JSON.parse(text)).toEqual({
      type: 'trade',
      id: '1700000000123-4',
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      timestamp: 1_700_000_000.123456,
      price: 43210.5,
      volume: 0.001,
      side: 'sell',
      trade_id: '42',
    });
  });
});
