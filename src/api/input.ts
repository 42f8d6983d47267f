/**
 * Turning request input into validated values: exchange names, canonical symbols the store
 * knows, time bounds. Store keys are only ever built from what these functions return.
 */

import { tryParseSymbol } from '../core/symbols.js';
import { parseApiTime } from '../core/time.js';
import { type Exchange, isExchange } from '../core/types.js';
import { badRequest, notFound } from './errors.js';
import type { StoreReader } from './store-reader.js';

export function resolveExchange(raw: string): Exchange {
  const ex = raw.trim().toLowerCase();
  if (isExchange(ex)) return ex;
  throw notFound('unknown_exchange', `unknown exchange "${clip(raw)}": expected coinbase or kraken`);
}

export function resolveSymbolText(raw: string): string {
  const symbol = tryParseSymbol(raw);
  if (symbol === undefined) {
    throw badRequest(
      'invalid_symbol',
      `invalid symbol "${clip(raw)}": expected BASE-QUOTE such as BTC-USD (also BTC/USD, btc-usd, XBT/USD)`,
    );
  }
  return symbol;
}

export function unknownSymbol(exchange: Exchange, symbol: string) {
  return notFound('unknown_symbol', `no data for ${symbol} on ${exchange}`);
}

/**
 * The symbols each exchange has in the store (`symbols:<exchange>`), cached: a symbol once
 * seen stays (the set only grows), a miss re-reads the set (concurrent misses share one
 * read) so a market that appears is served at once.
 */
export class KnownSymbols {
  private readonly sets = new Map<Exchange, Set<string>>();
  private readonly refreshing = new Map<Exchange, Promise<Set<string>>>();

  constructor(private readonly reader: StoreReader) {}

  /** `true` at once when cached; otherwise a promise of whether the store has it. */
  has(exchange: Exchange, symbol: string): true | Promise<boolean> {
    if (this.sets.get(exchange)?.has(symbol)) return true;
    return this.refresh(exchange).then((set) => set.has(symbol));
  }

  /** Every known symbol of the exchange, fresh from the store. */
  list(exchange: Exchange): Promise<Set<string>> {
    return this.refresh(exchange);
  }

  private refresh(exchange: Exchange): Promise<Set<string>> {
    let p = this.refreshing.get(exchange);
    if (!p) {
      p = this.reader.symbols(exchange).then(
        (list) => {
          this.refreshing.delete(exchange);
          const set = new Set(list);
          this.sets.set(exchange, set);
          return set;
        },
        (err: unknown) => {
          this.refreshing.delete(exchange);
          throw err;
        },
      );
      this.refreshing.set(exchange, p);
    }
    return p;
  }
}

/** Resolves `exchange` + `symbol` to a market the store has, or throws the right 4xx. */
export async function resolveMarket(
  known: KnownSymbols,
  rawExchange: string,
  rawSymbol: string,
): Promise<{ exchange: Exchange; symbol: string }> {
  const symbol = resolveSymbolText(rawSymbol);
  const exchange = resolveExchange(rawExchange);
  const has = known.has(exchange, symbol);
  if (has !== true && !(await has)) throw unknownSymbol(exchange, symbol);
  return { exchange, symbol };
}

/** Bounds are clamped here so every value stays an exact integer number of µs. */
const MAX_TIME_US = Number.MAX_SAFE_INTEGER;

/**
 * A time parameter -> epoch µs: epoch seconds (integer or float, rounded to the nearest µs)
 * or ISO-8601 (see parseApiTime).
 */
export function parseTimeParam(name: string, raw: string): number {
  const us = parseApiTime(raw);
  if (us === undefined || !Number.isFinite(us) || us < 0) {
    throw badRequest(
      'invalid_time',
      `${name} "${clip(raw)}" is not a time: use epoch seconds (e.g. 1704067200.5) or ISO-8601 (e.g. 2024-01-01T00:00:00Z)`,
    );
  }
  return Math.min(us, MAX_TIME_US);
}

/** `[start, end]` in µs when either bound is given (missing start = 0, missing end = now). */
export function parseRange(
  startRaw: string | undefined,
  endRaw: string | undefined,
  nowUs: number,
): { startUs: number; endUs: number } | undefined {
  if (startRaw === undefined && endRaw === undefined) return undefined;
  const startUs = startRaw === undefined ? 0 : parseTimeParam('start_time', startRaw);
  const endUs = endRaw === undefined ? nowUs : parseTimeParam('end_time', endRaw);
  if (startUs > endUs) {
    throw badRequest('invalid_range', 'start_time must not be after end_time');
  }
  return { startUs, endUs };
}

const UNSAFE_RE = /[^ -~]|["\\]/g;

/** Input echoed in a message: at most 40 characters, printable ASCII only. */
function clip(s: string): string {
  const t = (s.length > 40 ? s.slice(0, 40) : s).replace(UNSAFE_RE, '?');
  return s.length > 40 ? `${t}…` : t;
}
