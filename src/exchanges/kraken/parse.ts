/** Kraken v2 frame parsing: native messages -> canonical trades and book messages. */

import { isZeroDecimal, toPlainDecimal } from '../../core/decimal.js';
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

export function createKrakenParser(symbols: readonly string[]) {
  const byNative = new Map<string, string>();
  for (const s of symbols) byNative.set(s.replace('-', '/'), s);

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
