/**
 * Exchange simulators, in process: seeded markets, one server per exchange speaking its
 * real protocol (WebSocket + REST), fault injection, and the ground truth of every trade
 * made. Used by `alphapulse simulate`, `alphapulse run --simulate` and the tests.
 */

import { type Logger, silentLogger } from '../core/logger.js';
import { parseSymbol } from '../core/symbols.js';
import { nowUs } from '../core/time.js';
import { type Exchange, isExchange } from '../core/types.js';
import { startCoinbaseSimulator } from '../exchanges/coinbase/simulator.js';
import { startKrakenSimulator } from '../exchanges/kraken/simulator.js';
import { SimEngine } from './engine.js';
import type { ExchangeSimulator, ExchangeSimulatorOptions } from './exchange-simulator.js';
import type { FaultOptions } from './faults.js';
import { fixedText, trimmedText } from './format.js';
import { SimMarket } from './market.js';
import { marketSpec, SIZE_DECIMALS } from './market-spec.js';
import type { Ladder } from './master-book.js';

export type { FaultOptions } from './faults.js';

export interface SimulatorOptions {
  exchanges: Exchange[];
  /** Canonical `BASE-QUOTE` (other spellings are canonicalised). */
  symbols: string[];
  /** Trades per second per symbol per exchange; 0 = no trades. */
  ratePerSymbol: number;
  seed: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port; defaults 9101 / 9102. */
  ports?: { coinbase?: number; kraken?: number };
  /** Book change events per second per symbol (default 20; 0 = static book). */
  bookRate?: number;
  /** Stop generating trades and book changes after this many seconds. */
  durationS?: number;
  faults?: FaultOptions;
  /** First trade id of every market (default: derived from the seed). */
  firstTradeId?: number;
  /** When set, REST answers the exchange's rate-limit error beyond this many requests per second. */
  restRps?: number;
  /** Accept permessage-deflate when a client offers it, compressing every message (default false). */
  compression?: boolean;
  /** Coinbase closes connections that have not subscribed within this time (default 5000 ms). */
  subscribeTimeoutMs?: number;
  logger?: Logger;
}

export interface SimTrade {
  id: number;
  /** As the WebSocket sends it (trailing zeros trimmed). */
  price: string;
  size: string;
  takerSide: 'buy' | 'sell';
  /** Event time, epoch µs. */
  ts: number;
  /** Withheld from WebSocket clients by `gapEvery` (REST still serves it). */
  withheld: boolean;
}

/** The truth file (CONTRACT.md section 2); ids are null for a market that made no trade. */
export interface Truth {
  [exchange: string]: {
    [symbol: string]: { count: number; first_trade_id: string | null; last_trade_id: string | null };
  };
}

export interface RunningSimulators {
  urls: Partial<Record<Exchange, { ws: string; rest: string }>>;
  truth(): Truth;
  /** Every trade made, in id order, including withheld ones. */
  trades(exchange: Exchange, symbol: string): SimTrade[];
  /** The master book, best first, as the exchange formats its levels. */
  book(exchange: Exchange, symbol: string): { bids: [string, string][]; asks: [string, string][] };
  /** Ends trade and book generation (like --duration elapsing); the servers keep serving. */
  stopGenerating(): void;
  readonly generating: boolean;
  /** Resolves when generation has stopped. */
  done: Promise<void>;
  /** Closes servers and sockets. */
  close(): Promise<void>;
}

const DEFAULT_PORTS: Record<Exchange, number> = { coinbase: 9101, kraken: 9102 };
const STARTERS: Record<Exchange, (o: ExchangeSimulatorOptions) => Promise<ExchangeSimulator>> = {
  coinbase: startCoinbaseSimulator,
  kraken: startKrakenSimulator,
};

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`simulator: ${message}`);
}

function validate(o: SimulatorOptions): void {
  check(o.exchanges.length > 0 && o.exchanges.every(isExchange), 'exchanges must be coinbase and/or kraken');
  check(o.symbols.length > 0, 'at least one symbol is needed');
  check(Number.isFinite(o.ratePerSymbol) && o.ratePerSymbol >= 0, 'ratePerSymbol must be a number >= 0');
  check(Number.isSafeInteger(o.seed), 'seed must be an integer');
  check(
    o.bookRate === undefined || (Number.isFinite(o.bookRate) && o.bookRate >= 0),
    'bookRate must be >= 0',
  );
  check(
    o.durationS === undefined || (Number.isFinite(o.durationS) && o.durationS >= 0),
    'durationS must be >= 0',
  );
  check(
    o.restRps === undefined || (Number.isInteger(o.restRps) && o.restRps >= 1),
    'restRps must be an integer >= 1',
  );
  for (const [name, n] of Object.entries(o.faults ?? {})) {
    check(n === undefined || (Number.isInteger(n) && n >= 1), `faults.${name} must be an integer >= 1`);
  }
}

function ladderText(ladder: Ladder, decimals: number): [string, string][] {
  return ladder.ticks.map((t, i) => [fixedText(t, decimals), fixedText(ladder.sizes[i]!, SIZE_DECIMALS)]);
}

export async function startSimulators(options: SimulatorOptions): Promise<RunningSimulators> {
  validate(options);
  const symbols = [...new Set(options.symbols.map((s) => parseSymbol(s)))];
  const exchanges = [...new Set(options.exchanges)];
  const log = options.logger ?? silentLogger;
  const faults = options.faults ?? {};
  const openedAt = nowUs();
  const markets = new Map<Exchange, Map<string, SimMarket>>();
  for (const exchange of exchanges) {
    const bySymbol = new Map<string, SimMarket>();
    for (const symbol of symbols) {
      const m = new SimMarket(
        marketSpec(exchange, symbol, options.seed, options.firstTradeId),
        options.seed,
        faults.gapEvery,
      );
      m.open(openedAt);
      bySymbol.set(symbol, m);
    }
    markets.set(exchange, bySymbol);
  }

  const feeds: { simulator: ExchangeSimulator; markets: SimMarket[] }[] = [];
  try {
    for (const exchange of exchanges) {
      const list = [...markets.get(exchange)!.values()];
      const simulator = await STARTERS[exchange]({
        markets: list,
        host: options.host ?? '127.0.0.1',
        port: options.ports?.[exchange] ?? DEFAULT_PORTS[exchange],
        faults,
        restRps: options.restRps,
        compression: options.compression ?? false,
        subscribeTimeoutMs: options.subscribeTimeoutMs ?? 5000,
        seed: options.seed,
        logger: log,
      });
      feeds.push({ simulator, markets: list });
    }
  } catch (e) {
    await Promise.all(feeds.map((f) => f.simulator.close()));
    throw e;
  }

  const engine = new SimEngine(feeds, {
    ratePerSymbol: options.ratePerSymbol,
    bookRate: options.bookRate ?? 20,
    durationS: options.durationS,
  });
  engine.start();

  const urls: RunningSimulators['urls'] = {};
  for (const { simulator } of feeds) urls[simulator.exchange] = simulator.urls;
  log.info(
    { urls, symbols, rate: options.ratePerSymbol, seed: options.seed, faults },
    'simulators listening',
  );

  const market = (exchange: Exchange, symbol: string): SimMarket => {
    const m = markets.get(exchange)?.get(parseSymbol(symbol));
    if (!m) throw new RangeError(`simulator: no market ${exchange} ${symbol}`);
    return m;
  };

  let closing: Promise<void> | undefined;
  return {
    urls,
    truth() {
      const out: Truth = {};
      for (const [exchange, bySymbol] of markets) {
        const entry: Truth[string] = {};
        for (const [symbol, m] of bySymbol) {
          const h = m.history;
          const n = h.length;
          entry[symbol] = {
            count: n,
            first_trade_id: n > 0 ? String(h.id(0)) : null,
            last_trade_id: n > 0 ? String(h.id(n - 1)) : null,
          };
        }
        out[exchange] = entry;
      }
      return out;
    },
    trades(exchange, symbol) {
      const m = market(exchange, symbol);
      const h = m.history;
      const out: SimTrade[] = new Array(h.length);
      for (let i = 0; i < h.length; i++) {
        out[i] = {
          id: h.id(i),
          price: trimmedText(h.price(i), m.spec.priceDecimals),
          size: trimmedText(h.size(i), SIZE_DECIMALS),
          takerSide: h.takerBuy(i) ? 'buy' : 'sell',
          ts: h.ts(i),
          withheld: h.withheld(i),
        };
      }
      return out;
    },
    book(exchange, symbol) {
      const m = market(exchange, symbol);
      const d = m.spec.priceDecimals;
      return { bids: ladderText(m.book.bids, d), asks: ladderText(m.book.asks, d) };
    },
    stopGenerating: () => engine.stopGenerating(),
    get generating() {
      return engine.generating;
    },
    done: engine.done,
    close() {
      closing ??= (async () => {
        engine.close();
        await Promise.all(feeds.map((f) => f.simulator.close()));
        log.info('simulators closed');
      })();
      return closing;
    },
  };
}
