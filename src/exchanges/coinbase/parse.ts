/** Coinbase Exchange frame parsing: native messages -> canonical trades and book messages. */

import { isPlainDecimal, isZeroDecimal } from '../../core/decimal.js';
import { parseIsoToUs } from '../../core/time.js';
import type { LevelText, Side, Trade } from '../../core/types.js';
import type { FrameSink } from '../adapter.js';
import { parseJsonObject } from '../json-frame.js';

type Json = Record<string, unknown>;

const KNOWN_IGNORED = new Set([
  'ticker',
  'ticker_batch',
  'status',
  'received',
  'open',
  'done',
  'change',
  'activate',
]);

/** Coinbase `match.side` is the maker's; the taker did the opposite. */
export function takerSide(makerSide: unknown): Side | undefined {
  if (makerSide === 'sell') return 'buy';
  if (makerSide === 'buy') return 'sell';
  return undefined;
}

function positiveDecimal(v: unknown): v is string {
  return typeof v === 'string' && isPlainDecimal(v) && !isZeroDecimal(v);
}

const MATCH_PREFIX = '{"type":"match",';

/** The taker side from the maker `side` field, read in place. */
function sideAt(text: string): Side | undefined {
  const at = text.indexOf(',"side":"');
  if (at < 0) return undefined;
  if (text.startsWith('sell"', at + 9)) return 'buy';
  if (text.startsWith('buy"', at + 9)) return 'sell';
  return undefined;
}

/** The text of string field `key` (as `,"key":"..."`), or undefined. */
function stringField(text: string, key: string): string | undefined {
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = text.indexOf('"', start);
  return end < 0 ? undefined : text.slice(start, end);
}

/** The unsigned integer after `key`, or undefined. */
function integerField(text: string, key: string): number | undefined {
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  let i = at + key.length;
  let n = 0;
  const start = i;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return i === start || i - start > 15 ? undefined : n;
}

/**
 * Builds the frame parser for a set of canonical symbols (Coinbase product ids are the
 * canonical spelling, so the mapping is the identity restricted to what we collect).
 */
export function createCoinbaseParser(symbols: readonly string[]) {
  const wanted = new Set(symbols);

  function parseTrade(o: Json, recvTs: number, sink: FrameSink): Trade | undefined {
    const product = o.product_id;
    if (typeof product !== 'string' || !wanted.has(product)) {
      sink.malformed('match_unknown_product', String(product));
      return undefined;
    }
    const id = o.trade_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      sink.malformed('match_bad_trade_id', String(id));
      return undefined;
    }
    if (!positiveDecimal(o.price) || !positiveDecimal(o.size)) {
      sink.malformed('match_bad_number', `price=${String(o.price)} size=${String(o.size)}`);
      return undefined;
    }
    const side = takerSide(o.side);
    if (side === undefined) {
      sink.malformed('match_bad_side', String(o.side));
      return undefined;
    }
    const ts = parseIsoToUs(o.time as string);
    if (ts === undefined) {
      sink.malformed('match_bad_time', String(o.time));
      return undefined;
    }
    return { exchange: 'coinbase', symbol: product, id, price: o.price, size: o.size, side, ts, recvTs };
  }

  /**
   * The frame that dominates the feed, a `match`, read field by field instead of building
   * the whole object (half the allocation, less GC). Anything unusual (escapes, a missing
   * or invalid field, not ending as an object does) returns undefined: the full parser
   * then decides, and reports it if it is malformed.
   */
  function fastMatch(text: string, recvTs: number): Trade | undefined {
    if (
      !text.startsWith(MATCH_PREFIX) ||
      text.charCodeAt(text.length - 1) !== 125 ||
      text.indexOf('\\') >= 0
    ) {
      return undefined;
    }
    // Only price and size become new strings; the rest is read in place.
    const product = productAt(text);
    const id = integerField(text, ',"trade_id":');
    const side = sideAt(text);
    const price = stringField(text, ',"price":"');
    const size = stringField(text, ',"size":"');
    const timeAt = text.indexOf(',"time":"');
    const timeEnd = timeAt < 0 ? -1 : text.indexOf('"', timeAt + 9);
    if (product === undefined || id === undefined || side === undefined || timeEnd < 0) return undefined;
    if (!positiveDecimal(price) || !positiveDecimal(size)) return undefined;
    const ts = parseIsoToUs(text, timeAt + 9, timeEnd);
    if (ts === undefined) return undefined;
    return { exchange: 'coinbase', symbol: product, id, price, size, side, ts, recvTs };
  }

  /** The collected symbol named by `product_id`, without copying it out of the frame. */
  function productAt(text: string): string | undefined {
    const at = text.indexOf(',"product_id":"');
    if (at < 0) return undefined;
    const start = at + 15;
    for (const s of symbols) {
      if (text.startsWith(s, start) && text.charCodeAt(start + s.length) === 34) return s;
    }
    return undefined;
  }

  /** Valid levels of a snapshot side; a bad level (Coinbase once sent size "0.-10000") is skipped and counted. */
  function levels(raw: unknown, sink: FrameSink): LevelText[] | undefined {
    if (!Array.isArray(raw)) return undefined;
    const out: LevelText[] = [];
    for (const l of raw as unknown[]) {
      if (Array.isArray(l) && positiveDecimal(l[0]) && typeof l[1] === 'string' && isPlainDecimal(l[1])) {
        out.push([l[0], l[1]]);
      } else sink.malformed('book_bad_level', JSON.stringify(l).slice(0, 80));
    }
    return out;
  }

  return function parseFrame(text: string, recvTs: number, sink: FrameSink): void {
    const fast = fastMatch(text, recvTs);
    if (fast) {
      sink.message('match');
      sink.trades([fast], false);
      return;
    }
    const o = parseJsonObject(text, sink);
    if (!o) return;
    const type = o.type;
    switch (type) {
      case 'match':
      case 'last_match': {
        sink.message(type);
        const t = parseTrade(o, recvTs, sink);
        if (t) sink.trades([t], type === 'last_match');
        return;
      }
      case 'l2update': {
        sink.message(type);
        const product = o.product_id;
        if (typeof product !== 'string' || !wanted.has(product) || !Array.isArray(o.changes)) {
          sink.malformed('l2update_bad', text.slice(0, 120));
          return;
        }
        const bids: LevelText[] = [];
        const asks: LevelText[] = [];
        for (const c of o.changes as unknown[]) {
          if (
            !Array.isArray(c) ||
            !positiveDecimal(c[1]) ||
            typeof c[2] !== 'string' ||
            !isPlainDecimal(c[2])
          ) {
            sink.malformed('book_bad_level', JSON.stringify(c).slice(0, 80));
          } else if (c[0] === 'buy') bids.push([c[1], c[2]]);
          else if (c[0] === 'sell') asks.push([c[1], c[2]]);
          else sink.malformed('book_bad_level', JSON.stringify(c).slice(0, 80));
        }
        const ts = parseIsoToUs(o.time as string) ?? recvTs;
        sink.book({ kind: 'update', exchange: 'coinbase', symbol: product, bids, asks, ts });
        return;
      }
      case 'snapshot': {
        sink.message(type);
        const product = o.product_id;
        if (typeof product !== 'string' || !wanted.has(product)) {
          sink.malformed('snapshot_bad', String(product));
          return;
        }
        const bids = levels(o.bids, sink);
        const asks = levels(o.asks, sink);
        if (!bids || !asks) {
          sink.malformed('snapshot_bad', 'bids/asks not arrays');
          sink.bookBroken(product, 'malformed snapshot');
          return;
        }
        const ts = (typeof o.time === 'string' ? parseIsoToUs(o.time) : undefined) ?? recvTs;
        sink.book({ kind: 'snapshot', exchange: 'coinbase', symbol: product, bids, asks, ts });
        return;
      }
      case 'heartbeat': {
        sink.message(type);
        const product = o.product_id;
        const last = o.last_trade_id;
        if (typeof product !== 'string' || !wanted.has(product)) {
          sink.malformed('heartbeat_bad', String(product));
          return;
        }
        sink.heartbeat(
          product,
          typeof last === 'number' && Number.isSafeInteger(last) && last > 0 ? last : undefined,
        );
        return;
      }
      case 'subscriptions': {
        sink.message(type);
        const channels = Array.isArray(o.channels) ? (o.channels as Json[]) : [];
        for (const c of channels) {
          if (c && typeof c.name === 'string' && Array.isArray(c.product_ids)) {
            sink.subscribed(
              c.name,
              (c.product_ids as unknown[]).filter((p): p is string => typeof p === 'string'),
            );
          }
        }
        return;
      }
      case 'error': {
        sink.message(type);
        const reason = typeof o.reason === 'string' ? `: ${o.reason}` : '';
        sink.exchangeError(`${String(o.message)}${reason}`, undefined);
        return;
      }
      default:
        if (typeof type === 'string' && KNOWN_IGNORED.has(type)) sink.message(type);
        else {
          sink.message('unknown');
          sink.unknown(String(type).slice(0, 40));
        }
    }
  };
}
