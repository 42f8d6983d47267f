/** Kraken WebSocket v2 adapter: `trade` (with snapshot) and `book` channels. */

import type { ExchangeAdapter } from '../adapter.js';
import { krakenBackfill } from './backfill.js';
import { krakenChecksum } from './checksum.js';
import { createKrakenParser } from './parse.js';
import { krakenWsSymbol } from './protocol.js';

export function createKrakenAdapter(symbols: readonly string[]): ExchangeAdapter {
  let reqId = 0;
  const next = () => ++reqId;
  return {
    name: 'kraken',
    nativeSymbol: krakenWsSymbol,
    subscribeMessages: (list, o) => {
      const native = list.map(krakenWsSymbol);
      const out = [
        JSON.stringify({
          method: 'subscribe',
          params: { channel: 'trade', symbol: native, snapshot: true },
          req_id: next(),
        }),
      ];
      if (o.bookDepth > 0) {
        out.push(
          JSON.stringify({
            method: 'subscribe',
            params: { channel: 'book', symbol: native, depth: o.bookDepth, snapshot: true },
            req_id: next(),
          }),
        );
      }
      return out;
    },
    resyncBookMessages: (symbol, o) => [
      JSON.stringify({
        method: 'unsubscribe',
        params: { channel: 'book', symbol: [krakenWsSymbol(symbol)], depth: o.bookDepth },
        req_id: next(),
      }),
      JSON.stringify({
        method: 'subscribe',
        params: { channel: 'book', symbol: [krakenWsSymbol(symbol)], depth: o.bookDepth, snapshot: true },
        req_id: next(),
      }),
    ],
    pingMessage: () => JSON.stringify({ method: 'ping', req_id: next() }),
    parseFrame: createKrakenParser(symbols),
    verifyChecksum: (book, checksum) => krakenChecksum(book) === checksum,
    backfill: krakenBackfill,
    heartbeatHasLastTradeId: false,
  };
}
