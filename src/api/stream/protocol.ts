/**
 * The `/stream` WebSocket protocol: what clients may send (validated here, never trusted)
 * and the messages the server sends. Stored and live entries use one schema: a trade is the
 * REST Trade plus `type` and `id` (its stream id), a book message carries its stream id too,
 * so a client resumes with `from` exactly where it stopped.
 */

import { tryParseSymbol } from '../../core/symbols.js';
import { usToSeconds } from '../../core/time.js';
import { EXCHANGES, type Exchange, isExchange, type LevelText } from '../../core/types.js';
import type { BookTop, StoredBookEntry, StoredTrade, StreamItem, StreamName } from '../../store/store.js';
import { toTradeOut } from '../latest-trades.js';

export const CHANNELS = ['trades', 'book'] as const satisfies readonly StreamName[];
export type Channel = (typeof CHANNELS)[number];

/** Subscriptions (channel x exchange x symbol) one connection may hold. */
export const MAX_SUBSCRIPTIONS = 32;
/** Largest client message, bytes (larger ones close the connection with 1009). */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Most entries of one list field (channels, symbols, exchanges). */
const MAX_LIST = 64;

/** One stream of one market: what a subscription is made of. */
export interface StreamSpec {
  channel: Channel;
  exchange: Exchange;
  symbol: string;
}

export function specKey(s: StreamSpec): string {
  return `${s.channel}:${s.exchange}:${s.symbol}`;
}

export type ClientRequest =
  | { op: 'ping' }
  | { op: 'subscribe'; streams: StreamSpec[]; from: Map<string, string> }
  | { op: 'unsubscribe'; filter: StreamFilter };

/** Which subscriptions an unsubscribe removes: a missing list matches everything. */
export interface StreamFilter {
  channels?: Channel[];
  exchanges?: Exchange[];
  symbols?: string[];
}

export function matches(f: StreamFilter, s: StreamSpec): boolean {
  return (
    (f.channels?.includes(s.channel) ?? true) &&
    (f.exchanges?.includes(s.exchange) ?? true) &&
    (f.symbols?.includes(s.symbol) ?? true)
  );
}

/** A client error: answered with an `{"type":"error"}` frame, the connection stays open. */
export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (code: string, message: string) => new ProtocolError(code, message);

const STREAM_ID_RE = /^\d{1,20}(-\d{1,20})?$/;

/** A syntactically valid stream id (`1700000000000-0`, `1700000000000`, `0`). */
export function isStreamId(text: string): boolean {
  return STREAM_ID_RE.test(text);
}

/** Orders stream ids like Redis does; a bare `<ms>` means `<ms>-0`. Exact for any length. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return compareDigits(am, bm) || compareDigits(as, bs);
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Printable ASCII only, at most 40 characters: safe to echo in a message. */
function clip(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const t = (s.length > 40 ? s.slice(0, 40) : s).replace(/[^ -~]|["\\]/g, '?');
  return s.length > 40 ? `${t}…` : t;
}

const FIELDS: Record<string, readonly string[]> = {
  ping: ['op'],
  subscribe: ['op', 'channels', 'symbols', 'exchanges', 'from'],
  unsubscribe: ['op', 'channels', 'symbols', 'exchanges'],
};

function stringList(msg: Record<string, unknown>, field: string, required: boolean): string[] | undefined {
  const v = msg[field];
  if (v === undefined) {
    if (required) throw bad('invalid_message', `"${field}" is required: a non-empty array of strings`);
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST || !v.every((x) => typeof x === 'string')) {
    throw bad('invalid_message', `"${field}" must be a non-empty array of at most ${MAX_LIST} strings`);
  }
  return [...new Set(v as string[])];
}

function channels(list: string[]): Channel[] {
  return list.map((c) => {
    if ((CHANNELS as readonly string[]).includes(c)) return c as Channel;
    throw bad('invalid_channel', `unknown channel "${clip(c)}": expected ${CHANNELS.join(' or ')}`);
  });
}

function exchanges(list: string[]): Exchange[] {
  return [
    ...new Set(
      list.map((raw) => {
        const ex = raw.trim().toLowerCase();
        if (isExchange(ex)) return ex;
        throw bad('unknown_exchange', `unknown exchange "${clip(raw)}": expected ${EXCHANGES.join(' or ')}`);
      }),
    ),
  ];
}

function symbols(list: string[]): string[] {
  return [
    ...new Set(
      list.map((raw) => {
        const s = tryParseSymbol(raw);
        if (s !== undefined) return s;
        throw bad(
          'invalid_symbol',
          `invalid symbol "${clip(raw)}": expected BASE-QUOTE such as BTC-USD (also BTC/USD, btc-usd, XBT/USD)`,
        );
      }),
    ),
  ];
}

function cross(chs: Channel[], exs: Exchange[], syms: string[]): StreamSpec[] {
  const out: StreamSpec[] = [];
  for (const channel of chs)
    for (const exchange of exs) for (const symbol of syms) out.push({ channel, exchange, symbol });
  return out;
}

/** `"trades:coinbase:BTC-USD"` (any symbol spelling) -> the spec's key. */
function fromKey(raw: string): string {
  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  if (second < 0) {
    throw bad('invalid_from', `"from" key "${clip(raw)}" must be "<channel>:<exchange>:<symbol>"`);
  }
  const [channel] = channels([raw.slice(0, first)]);
  const [exchange] = exchanges([raw.slice(first + 1, second)]);
  const [symbol] = symbols([raw.slice(second + 1)]);
  return specKey({ channel: channel!, exchange: exchange!, symbol: symbol! });
}

function checkId(raw: unknown, where: string): string {
  if (typeof raw !== 'string' || !isStreamId(raw)) {
    throw bad('invalid_from', `${where} must be a stream id such as "1700000000000-0" (got ${clip(raw)})`);
  }
  return raw;
}

/** Parses and validates one client text frame. */
export function parseRequest(text: string): ClientRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw bad('invalid_json', 'messages must be JSON objects such as {"op":"ping"}');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw bad('invalid_message', 'messages must be JSON objects such as {"op":"ping"}');
  }
  const m = msg as Record<string, unknown>;
  const op = m.op;
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) {
    throw bad('unknown_op', `"op" must be one of subscribe, unsubscribe, ping (got ${clip(op)})`);
  }
  const allowed = FIELDS[op]!;
  for (const k of Object.keys(m)) {
    if (!allowed.includes(k)) throw bad('invalid_message', `unknown field "${clip(k)}" for op ${op}`);
  }
  if (op === 'ping') return { op: 'ping' };

  if (op === 'unsubscribe') {
    const chs = stringList(m, 'channels', false);
    const syms = stringList(m, 'symbols', false);
    const exs = stringList(m, 'exchanges', false);
    const filter: StreamFilter = {};
    if (chs) filter.channels = channels(chs);
    if (exs) filter.exchanges = exchanges(exs);
    if (syms) filter.symbols = symbols(syms);
    return { op: 'unsubscribe', filter };
  }

  const chs = channels(stringList(m, 'channels', true)!);
  const syms = symbols(stringList(m, 'symbols', true)!);
  const exs = exchanges(stringList(m, 'exchanges', false) ?? ['coinbase']);
  const streams = cross(chs, exs, syms);
  if (streams.length > MAX_SUBSCRIPTIONS) {
    throw bad(
      'too_many_subscriptions',
      `${streams.length} streams requested; a connection holds at most ${MAX_SUBSCRIPTIONS}`,
    );
  }
  const from = new Map<string, string>();
  const f = m.from;
  if (typeof f === 'string') {
    const id = checkId(f, '"from"');
    for (const s of streams) from.set(specKey(s), id);
  } else if (f !== null && typeof f === 'object' && !Array.isArray(f)) {
    const entries = Object.entries(f as Record<string, unknown>);
    if (entries.length > MAX_SUBSCRIPTIONS) throw bad('invalid_from', 'too many "from" entries');
    const wanted = new Set(streams.map(specKey));
    for (const [k, v] of entries) {
      const key = fromKey(k);
      if (!wanted.has(key)) {
        throw bad('invalid_from', `"from" names ${clip(k)}, which this subscribe does not ask for`);
      }
      from.set(key, checkId(v, `"from"["${clip(k)}"]`));
    }
  } else if (f !== undefined) {
    throw bad(
      'invalid_from',
      '"from" must be a stream id or an object {"<channel>:<exchange>:<symbol>": id}',
    );
  }
  return { op: 'subscribe', streams, from };
}

// ---- server messages ----

export interface LevelOut {
  price: number;
  size: number;
}

const levels = (list: readonly LevelText[]): LevelOut[] =>
  list.map(([price, size]) => ({ price: Number(price), size: Number(size) }));

/** A trade entry as sent: the REST Trade fields plus `type` and `id`. */
export function tradeMessage(t: StoredTrade): string {
  const o = toTradeOut([t])[0]!;
  return JSON.stringify({
    type: 'trade',
    id: t.streamId,
    exchange: o.exchange,
    symbol: o.symbol,
    timestamp: o.timestamp,
    price: o.price,
    volume: o.volume,
    side: o.side,
    trade_id: o.trade_id,
  });
}

export function bookMessage(exchange: Exchange, symbol: string, e: StoredBookEntry): string {
  return JSON.stringify({
    type: 'book',
    id: e.streamId,
    exchange,
    symbol,
    kind: e.type,
    sequence: e.seq,
    timestamp: usToSeconds(e.ts),
    bids: levels(e.bids),
    asks: levels(e.asks),
  });
}

/** The current top of a book as a snapshot message; `id` = the stream position it covers. */
export function topMessage(top: BookTop, id: string): string {
  return JSON.stringify({
    type: 'book',
    id,
    exchange: top.exchange,
    symbol: top.symbol,
    kind: 'snapshot',
    sequence: top.seq,
    timestamp: usToSeconds(top.ts),
    bids: levels(top.bids),
    asks: levels(top.asks),
  });
}

export function itemMessage(item: StreamItem): string {
  return item.stream === 'trades'
    ? tradeMessage(item.entry)
    : bookMessage(item.exchange, item.symbol, item.entry);
}

export function errorMessage(code: string, message: string): string {
  return JSON.stringify({ type: 'error', error: code, message });
}

export function streamsOut(list: readonly StreamSpec[], from?: ReadonlyMap<string, string>) {
  return list.map((s) => ({
    channel: s.channel,
    exchange: s.exchange,
    symbol: s.symbol,
    ...(from ? { from: from.get(specKey(s)) ?? null } : {}),
  }));
}
