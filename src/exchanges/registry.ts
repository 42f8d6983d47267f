/** Every supported exchange: adding one is a folder under exchanges/ and one line here. */

import type { Exchange } from '../core/types.js';
import type { ExchangeAdapter } from './adapter.js';
import { createCoinbaseAdapter } from './coinbase/adapter.js';
import { createKrakenAdapter } from './kraken/adapter.js';

export const ADAPTERS: Record<Exchange, (symbols: readonly string[]) => ExchangeAdapter> = {
  coinbase: createCoinbaseAdapter,
  kraken: createKrakenAdapter,
};

export function createAdapter(exchange: Exchange, symbols: readonly string[]): ExchangeAdapter {
  return ADAPTERS[exchange](symbols);
}
