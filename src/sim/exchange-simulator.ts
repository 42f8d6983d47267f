/** What the generation engine needs from each exchange's simulator. */

import type { Logger } from '../core/logger.js';
import type { Exchange } from '../core/types.js';
import type { FaultOptions } from './faults.js';
import type { SimMarket } from './market.js';
import type { BookChange, BookTop } from './master-book.js';

export interface ExchangeSimulatorOptions {
  /** This exchange's markets. */
  markets: readonly SimMarket[];
  host: string;
  /** 0 = any free port. */
  port: number;
  faults: FaultOptions;
  /** REST requests per second before the exchange's rate-limit answer; undefined = unlimited. */
  restRps?: number | undefined;
  /** Accept permessage-deflate when a client offers it. */
  compression?: boolean | undefined;
  /** Coinbase closes a connection that has not subscribed within this time. */
  subscribeTimeoutMs: number;
  seed: number;
  logger: Logger;
}

export interface ExchangeSimulator {
  readonly exchange: Exchange;
  readonly urls: { ws: string; rest: string };
  /** Deepest book any client holds for the market (the engine keeps that much of the old book). */
  bookDepthNeeded(market: SimMarket): number;
  /** One book event happened: `before` is the old top `bookDepthNeeded` levels. */
  publishBook(
    market: SimMarket,
    changes: readonly BookChange[],
    before: BookTop | undefined,
    nowUs: number,
  ): void;
  /** Sends every client the trades it has not been offered yet (as far as its buffer allows). */
  pump(): void;
  close(): Promise<void>;
}
