/** Coinbase Exchange adapter: `matches`, `level2_batch` and `heartbeat` channels. */

import type { ExchangeAdapter, SubscribeOptions } from '../adapter.js';
import { coinbaseBackfill } from './backfill.js';
import { createCoinbaseParser } from './parse.js';
import { CB_CHANNELS } from './protocol.js';

export function createCoinbaseAdapter(symbols: readonly string[]): ExchangeAdapter {
  const channels = (o: SubscribeOptions): string[] =>
    o.bookDepth > 0
      ? [CB_CHANNELS.heartbeat, CB_CHANNELS.trades, CB_CHANNELS.book]
      : [CB_CHANNELS.heartbeat, CB_CHANNELS.trades];
  return {
    name: 'coinbase',
    nativeSymbol: (canonical) => canonical,
    subscribeMessages: (list, o) => [
      JSON.stringify({ type: 'subscribe', product_ids: [...list], channels: channels(o) }),
    ],
    // Coinbase sends a new snapshot after a fresh level2_batch subscription of that product only.
    resyncBookMessages: (symbol) => [
      JSON.stringify({ type: 'unsubscribe', product_ids: [symbol], channels: [CB_CHANNELS.book] }),
      JSON.stringify({ type: 'subscribe', product_ids: [symbol], channels: [CB_CHANNELS.book] }),
    ],
    parseFrame: createCoinbaseParser(symbols),
    backfill: coinbaseBackfill,
    heartbeatHasLastTradeId: true,
  };
}
