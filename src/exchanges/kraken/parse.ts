/** Kraken v2 frame parsing: native messages -> canonical trades and book messages. */

import { isZeroDecimal, plainDecimalEnd, toPlainDecimal } from '../../core/decimal.js';
import { tryParseSymbol } from '../../core/symbols.js';
import { parseIsoToUs } from '../../core/time.js';
import type { LevelText, Trade } from '../../core/types.js';
import type { FrameSink } from '../adapter.js';
import { parseJsonObject } from '../json-frame.js';

type Json = Record<string, unknown>;

// JSON.parse turns 0.10000000 into 0.1, but the exact text is the data (and the book
// checksum is computed over it): quote every price/qty number before parsing.
const NUMBER_FIELDS_RE = /"(price|qty)":\s*([^,}\]\s"]+)/g;

/** Makes price/qty values strings holding their exact wire text. */
export function quoteNumberFields(text: string): string {
  return text.indexOf('"price"') < 0 && text.indexOf('"qty"') < 0
    ? text
    : text.replace(NUMBER_FIELDS_RE, '"$1":"$2"');
}

const KNOWN_IGNORED_CHANNELS = new Set(['ticker', 'ohlc', 'instrument', 'level3']);

const TRADE_UPDATE_PREFIX = '{"channel":"trade","type":"update","data":[';

// A trade entry's keys in Kraken's order, each with the punctuation around it.
const K_SYMBOL = '{"symbol":"';
const K_SIDE = '","side":"';
const K_PRICE = ',"price":';
const K_QTY = ',"qty":';
const K_ORD_TYPE = ',"ord_type":"';
const K_TRADE_ID = ',"trade_id":';
const K_TIMESTAMP = ',"timestamp":"';

/** Index of `key` inside [from, to), or -1. */
function keyAt(text: string, key: string, from: number, to: number): number {
  const at = text.indexOf(key, from);
  return at < 0 || at >= to ? -1 : at + key.length;
}

/** The end of a bare JSON number starting at `start` (the next ',' or '}'). */
function numberEnd(text: string, start: number, to: number): number {
  for (let i = start; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 125) return i;
  }
  return -1;
}

export function createKrakenParser(symbols: readonly string[]) {
  const byNative = new Map<string, string>();
  for (const s of symbols) byNative.set(s.replace('-', '/'), s);
  const natives = [...byNative.entries()];

  /** The collected market whose native symbol starts at `at` and is followed by `"`. */
  function nativeAt(text: string, at: number): [native: string, canonical: string] | undefined {
    for (const entry of natives) {
      if (text.startsWith(entry[0], at) && text.charCodeAt(at + entry[0].length) === 34) return entry;
    }
    return undefined;
  }

  /**
   * One trade entry with its keys in the order Kraken sends them (symbol, side, price,
   * qty, ord_type, trade_id, timestamp), read in a single pass: each key is checked where
   * it must start instead of searched for. Pushes the trade and returns the index after
   * the entry's `}`, or -1 (nothing pushed) for anything else.
   */
  function entryInOrder(text: string, p: number, recvTs: number, out: Trade[]): number {
    if (!text.startsWith(K_SYMBOL, p)) return -1;
    let i = p + K_SYMBOL.length;
    const market = nativeAt(text, i);
    if (!market) return -1;
    const symbol = market[1];
    i += market[0].length;
    if (!text.startsWith(K_SIDE, i)) return -1;
    i += K_SIDE.length;
    let side: 'buy' | 'sell';
    if (text.startsWith('buy"', i)) {
      side = 'buy';
      i += 4;
    } else if (text.startsWith('sell"', i)) {
      side = 'sell';
      i += 5;
    } else return -1;
    if (!text.startsWith(K_PRICE, i)) return -1;
    i += K_PRICE.length;
    const pEnd = plainDecimalEnd(text, i);
    if (pEnd < 0 || !text.startsWith(K_QTY, pEnd)) return -1;
    const price = text.slice(i, pEnd);
    i = pEnd + K_QTY.length;
    const qEnd = plainDecimalEnd(text, i);
    if (qEnd < 0 || !text.startsWith(K_ORD_TYPE, qEnd)) return -1;
    const size = text.slice(i, qEnd);
    if (isZeroDecimal(price) || isZeroDecimal(size)) return -1;
    i = text.indexOf('"', qEnd + K_ORD_TYPE.length) + 1;
    if (i === 0 || !text.startsWith(K_TRADE_ID, i)) return -1;
    i += K_TRADE_ID.length;
    const idStart = i;
    let id = 0;
    let c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      id = id * 10 + c - 48;
      c = text.charCodeAt(++i);
    }
    if (i === idStart || i - idStart > 15 || !text.startsWith(K_TIMESTAMP, i)) return -1;
    i += K_TIMESTAMP.length;
    const tsEnd = text.indexOf('"', i);
    if (tsEnd < 0 || text.charCodeAt(tsEnd + 1) !== 125) return -1;
    const ts = parseIsoToUs(text, i, tsEnd);
    if (ts === undefined) return -1;
    out.push({ exchange: 'kraken', symbol, id, price, size, side, ts, recvTs });
    return tsEnd + 2;
  }

  /** One trade entry, keys in any order, located by search; same contract as entryInOrder. */
  function entryByKeys(text: string, pos: number, recvTs: number, out: Trade[]): number {
    const end = text.indexOf('}', pos);
    if (end < 0) return -1;
    const sym = keyAt(text, '"symbol":"', pos, end);
    const symbol = sym >= 0 ? nativeAt(text, sym)?.[1] : undefined;
    const sideAt = keyAt(text, '"side":"', pos, end);
    const side =
      sideAt < 0
        ? undefined
        : text.startsWith('buy"', sideAt)
          ? 'buy'
          : text.startsWith('sell"', sideAt)
            ? 'sell'
            : undefined;
    const p = keyAt(text, '"price":', pos, end);
    const q = keyAt(text, '"qty":', pos, end);
    const idAt = keyAt(text, '"trade_id":', pos, end);
    const tsAt = keyAt(text, '"timestamp":"', pos, end);
    if (!symbol || !side || p < 0 || q < 0 || idAt < 0 || tsAt < 0) return -1;
    const pEnd = numberEnd(text, p, end + 1);
    const qEnd = numberEnd(text, q, end + 1);
    const idEnd = numberEnd(text, idAt, end + 1);
    const tsEnd = text.indexOf('"', tsAt);
    if (pEnd < 0 || qEnd < 0 || idEnd < 0 || tsEnd < 0 || tsEnd > end) return -1;
    const price = toPlainDecimal(text.slice(p, pEnd));
    const size = toPlainDecimal(text.slice(q, qEnd));
    if (!price || !size || isZeroDecimal(price) || isZeroDecimal(size)) return -1;
    let id = 0;
    for (let i = idAt; i < idEnd; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      id = id * 10 + d;
    }
    if (idEnd === idAt || idEnd - idAt > 15) return -1;
    const ts = parseIsoToUs(text, tsAt, tsEnd);
    if (ts === undefined) return -1;
    out.push({ exchange: 'kraken', symbol, id, price, size, side, ts, recvTs });
    return end + 1;
  }

  /**
   * The frame that dominates the feed, a `trade` update, read entry by entry in place:
   * no regex rewrite, no JSON object, number text kept exact. Anything unusual returns
   * undefined and the full parser decides (and reports what is malformed).
   */
  function fastTrades(text: string, recvTs: number): Trade[] | undefined {
    if (!text.startsWith(TRADE_UPDATE_PREFIX) || !text.endsWith(']}') || text.indexOf('\\') >= 0)
      return undefined;
    const out: Trade[] = [];
    let pos = TRADE_UPDATE_PREFIX.length;
    for (;;) {
      if (text.charCodeAt(pos) !== 123) return undefined;
      let after = entryInOrder(text, pos, recvTs, out);
      if (after < 0) after = entryByKeys(text, pos, recvTs, out);
      if (after < 0) return undefined;
      const next = text.charCodeAt(after);
      if (next === 44) pos = after + 1;
      else if (next === 93 && after + 2 === text.length) return out;
      else return undefined;
    }
  }

  function canonical(native: unknown): string | undefined {
    if (typeof native !== 'string') return undefined;
    const hit = byNative.get(native);
    if (hit) return hit;
    const c = tryParseSymbol(native);
    return c && symbols.includes(c) ? c : undefined;
  }

  function parseTrades(data: unknown, recvTs: number, sink: FrameSink): Trade[] {
    const out: Trade[] = [];
    if (!Array.isArray(data)) {
      sink.malformed('trade_bad_data', 'data is not an array');
      return out;
    }
    for (const raw of data as Json[]) {
      if (raw === null || typeof raw !== 'object') {
        sink.malformed('trade_bad_entry', String(raw));
        continue;
      }
      const symbol = canonical(raw.symbol);
      if (!symbol) {
        sink.malformed('trade_unknown_symbol', String(raw.symbol));
        continue;
      }
      const id = raw.trade_id;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
        sink.malformed('trade_bad_trade_id', String(id));
        continue;
      }
      const price = typeof raw.price === 'string' ? toPlainDecimal(raw.price) : undefined;
      const size = typeof raw.qty === 'string' ? toPlainDecimal(raw.qty) : undefined;
      if (!price || !size || isZeroDecimal(price) || isZeroDecimal(size)) {
        sink.malformed('trade_bad_number', `price=${String(raw.price)} qty=${String(raw.qty)}`);
        continue;
      }
      const side = raw.side;
      if (side !== 'buy' && side !== 'sell') {
        sink.malformed('trade_bad_side', String(side));
        continue;
      }
      const ts = parseIsoToUs(raw.timestamp as string);
      if (ts === undefined) {
        sink.malformed('trade_bad_time', String(raw.timestamp));
        continue;
      }
      out.push({ exchange: 'kraken', symbol, id, price, size, side, ts, recvTs });
    }
    return out;
  }

  function levels(raw: unknown): LevelText[] | undefined {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return undefined;
    const out: LevelText[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const l = raw[i] as Json | null;
      if (l === null || typeof l !== 'object') return undefined;
      // Kept verbatim when plain (trailing zeros matter for the checksum).
      const price = typeof l.price === 'string' ? toPlainDecimal(l.price) : undefined;
      const qty = typeof l.qty === 'string' ? toPlainDecimal(l.qty) : undefined;
      if (!price || !qty || isZeroDecimal(price)) return undefined;
      out[i] = [price, qty];
    }
    return out;
  }

  function parseBook(o: Json, recvTs: number, sink: FrameSink): void {
    const kind = o.type === 'snapshot' ? 'snapshot' : o.type === 'update' ? 'update' : undefined;
    if (!kind || !Array.isArray(o.data)) {
      sink.malformed('book_bad', `type=${String(o.type)}`);
      return;
    }
    for (const d of o.data as Json[]) {
      const symbol = d && typeof d === 'object' ? canonical(d.symbol) : undefined;
      if (!symbol) {
        sink.malformed('book_unknown_symbol', String(d?.symbol));
        continue;
      }
      const bids = levels(d.bids);
      const asks = levels(d.asks);
      const checksum = d.checksum;
      if (!bids || !asks || typeof checksum !== 'number' || !Number.isInteger(checksum) || checksum < 0) {
        sink.malformed('book_bad_level', symbol);
        sink.bookBroken(symbol, 'malformed book message');
        continue;
      }
      const ts = (typeof d.timestamp === 'string' ? parseIsoToUs(d.timestamp) : undefined) ?? recvTs;
      sink.book({ kind, exchange: 'kraken', symbol, bids, asks, ts, checksum });
    }
  }

  return function parseFrame(text: string, recvTs: number, sink: FrameSink): void {
    const fast = fastTrades(text, recvTs);
    if (fast) {
      sink.message('trade');
      sink.trades(fast, false);
      return;
    }
    const o = parseJsonObject(quoteNumberFields(text), sink);
    if (!o) return;
    const channel = o.channel;
    if (typeof channel === 'string') {
      switch (channel) {
        case 'trade': {
          sink.message('trade');
          const trades = parseTrades(o.data, recvTs, sink);
          if (trades.length > 0) sink.trades(trades, o.type === 'snapshot');
          return;
        }
        case 'book':
          sink.message('book');
          parseBook(o, recvTs, sink);
          return;
        case 'heartbeat':
          sink.message('heartbeat');
          sink.heartbeat(undefined, undefined);
          return;
        case 'status':
          sink.message('status');
          return;
        default:
          if (KNOWN_IGNORED_CHANNELS.has(channel)) sink.message(channel);
          else {
            sink.message('unknown');
            sink.unknown(channel.slice(0, 40));
          }
          return;
      }
    }
    const method = o.method;
    if (typeof method === 'string') {
      switch (method) {
        case 'subscribe':
        case 'unsubscribe': {
          sink.message(method);
          const result = (o.result ?? {}) as Json;
          const symbol = canonical(result.symbol ?? o.symbol);
          if (o.success === true) {
            if (method === 'subscribe') sink.subscribed(String(result.channel), symbol ? [symbol] : []);
          } else sink.exchangeError(`${method} failed: ${String(o.error)}`, symbol);
          return;
        }
        case 'pong':
          sink.message('pong');
          sink.heartbeat(undefined, undefined);
          return;
        default:
          sink.message('unknown');
          sink.unknown(method.slice(0, 40));
          return;
      }
    }
    sink.message('unknown');
    sink.unknown('no_channel_or_method');
  };
}
