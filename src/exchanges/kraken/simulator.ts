/**
 * Kraken spot simulator: WebSocket v2 (`trade`, `book` with per-depth views and CRC32
 * checksums, `status`, `heartbeat`, `ping`) on `/v2` and the public REST endpoints, on
 * one port (shared protocols/kraken.md). Book updates follow Kraken's rules: absolute
 * quantities, deletes inside the client's depth bring the level that slides into range,
 * levels pushed beyond the depth get no delete, and the checksum covers the client's
 * truncated view.
 */

import { crc32 } from 'node:zlib';
import type { WebSocket } from 'ws';
import { nowUs } from '../../core/time.js';
import type { ExchangeSimulator, ExchangeSimulatorOptions } from '../../sim/exchange-simulator.js';
import { type BadFrameKind, BINARY_BAD_FRAME } from '../../sim/faults.js';
import { fixedText, isoMicros, secondsText, trimmedText } from '../../sim/format.js';
import type { SimMarket } from '../../sim/market.js';
import { SIZE_DECIMALS } from '../../sim/market-spec.js';
import type { BookChange, BookTop, LadderTop, MasterBook } from '../../sim/master-book.js';
import { deriveSeed, mix32, Prng } from '../../sim/prng.js';
import { json, type RestAnswer, SimServer } from '../../sim/server.js';
import { SimSession, type TradeCursor } from '../../sim/session.js';
import { KRAKEN_BOOK_DEPTHS, krakenPairNames, krakenWsSymbol } from './protocol.js';

const DEFAULT_DEPTH = 10;
/** Trades of one tick for a symbol share a message, up to this many. */
const TRADES_PER_MESSAGE = 100;
const TRADE_SNAPSHOT_SIZE = 50;
const REST_TRADES_MAX = 1000;
const REST_DEPTH_DEFAULT = 100;
const REST_DEPTH_MAX = 500;
const CHECKSUM_LEVELS = 10;
const UNKNOWN_METHOD = json(404, '{"error":["EGeneral:Unknown method"]}');
const UNKNOWN_PAIR = json(200, '{"error":["EQuery:Unknown asset pair"]}');
const INVALID_ARGUMENTS = json(200, '{"error":["EGeneral:Invalid arguments"]}');

/** A level as ticks and 1e-8 units; size 0 = delete. */
type LevelPair = [tick: number, size: number];

interface BookDiff {
  bids: LevelPair[];
  asks: LevelPair[];
}

/** The taker order type of a trade: derived from its id, so WS and REST agree. */
function ordTypeOf(id: number): 'market' | 'limit' {
  return mix32(id) % 10 < 3 ? 'market' : 'limit';
}

function tradeEntry(m: SimMarket, wsSymbol: string, i: number): string {
  const h = m.history;
  const id = h.id(i);
  return `{"symbol":"${wsSymbol}","side":"${h.takerBuy(i) ? 'buy' : 'sell'}","price":${trimmedText(h.price(i), m.spec.priceDecimals)},"qty":${trimmedText(h.size(i), SIZE_DECIMALS)},"ord_type":"${ordTypeOf(id)}","trade_id":${id},"timestamp":"${isoMicros(h.ts(i))}"}`;
}

/**
 * CRC32 over the top 10 asks then bids. The token of padded text (`0.0020` -> `20`,
 * `0.10000000` -> `10000000`) is exactly the decimal of the integer ticks/units.
 */
function masterChecksum(book: MasterBook): number {
  let text = '';
  for (const ladder of [book.asks, book.bids]) {
    const n = Math.min(CHECKSUM_LEVELS, ladder.length);
    for (let i = 0; i < n; i++) text += `${ladder.ticks[i]}${ladder.sizes[i]}`;
  }
  return crc32(text) >>> 0;
}

function levelsJson(levels: readonly LevelPair[], d: number): string {
  return levels
    .map(([t, s]) => `{"price":${fixedText(t, d)},"qty":${fixedText(s, SIZE_DECIMALS)}}`)
    .join(',');
}

function topPairs(top: LadderTop): LevelPair[] {
  return top.ticks.map((t, i) => [t, top.sizes[i]!]);
}

function bookFrame(
  type: 'snapshot' | 'update',
  m: SimMarket,
  diff: BookDiff,
  checksum: number,
  timestampUs: number,
): string {
  const d = m.spec.priceDecimals;
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${krakenWsSymbol(m.spec.symbol)}","bids":[${levelsJson(diff.bids, d)}],"asks":[${levelsJson(diff.asks, d)}],"checksum":${checksum},"timestamp":"${isoMicros(timestampUs)}"}]}`;
}

/**
 * What a client holding the top `depth` levels needs so that, after applying it and
 * truncating to `depth`, its view equals the new top `depth`: every level new to or
 * changed within that range (this includes levels sliding in), and deletes for levels
 * that left it because they are gone. Levels merely pushed out get nothing.
 */
function depthDiff(old: LadderTop, ladder: MasterBook['bids'], depth: number): LevelPair[] {
  const out: LevelPair[] = [];
  const oN = Math.min(depth, old.ticks.length);
  const nN = Math.min(depth, ladder.length);
  let i = 0;
  let j = 0;
  while (i < oN || j < nN) {
    const ot = old.ticks[i];
    const nt = ladder.ticks[j];
    if (j >= nN || (i < oN && ladder.better(ot!, nt!))) {
      if (!ladder.has(ot!)) out.push([ot!, 0]);
      i++;
    } else if (i >= oN || ladder.better(nt!, ot!)) {
      out.push([nt!, ladder.sizes[j]!]);
      j++;
    } else {
      if (old.sizes[i] !== ladder.sizes[j]) out.push([nt!, ladder.sizes[j]!]);
      i++;
      j++;
    }
  }
  return out;
}

interface BookSub {
  market: SimMarket;
  depth: number;
}

class KrakenSession extends SimSession {
  readonly trades = new Map<string, TradeCursor>();
  readonly books = new Map<string, BookSub>();
  /** Heartbeats start with the first subscription. */
  heartbeat = false;
  private corruptions = 0;
  private turn = 0;

  pumpTrades(): void {
    const subs = [...this.trades.values()];
    const start = this.turn++ % subs.length;
    for (let k = 0; k < subs.length && !this.closed; k++) {
      const sub = subs[(start + k) % subs.length]!;
      const m = sub.market;
      const h = m.history;
      const ws = krakenWsSymbol(m.spec.symbol);
      const end = h.length;
      let i = sub.cursor;
      while (i < end && !this.congested) {
        const entries: string[] = [];
        for (; i < end && entries.length < TRADES_PER_MESSAGE; i++) {
          if (!h.withheld(i)) entries.push(tradeEntry(m, ws, i));
        }
        if (
          entries.length > 0 &&
          !this.send(`{"channel":"trade","type":"update","data":[${entries.join(',')}]}`)
        ) {
          break;
        }
      }
      sub.cursor = i;
    }
  }

  /**
   * A corrupted book update: alternately a wrong checksum, or one qty within the top 10
   * altered while the checksum stays that of the true book.
   */
  corrupt(m: SimMarket, diff: BookDiff, checksum: number, now: number): string {
    if (this.corruptions++ % 2 === 0) return bookFrame('update', m, diff, (checksum + 1) >>> 0, now);
    const book = m.book;
    const inTop = (side: 'bids' | 'asks', t: number) => {
      const i = book[side].search(t);
      return i >= 0 && i < CHECKSUM_LEVELS;
    };
    const copy = (l: LevelPair): LevelPair => [l[0], l[1]];
    const altered: BookDiff = { bids: diff.bids.map(copy), asks: diff.asks.map(copy) };
    const target =
      altered.asks.find(([t, s]) => s > 0 && inTop('asks', t)) ??
      altered.bids.find(([t, s]) => s > 0 && inTop('bids', t));
    if (target) target[1] += 1;
    else if (book.asks.length > 0) altered.asks.push([book.asks.ticks[0]!, book.asks.sizes[0]! + 1]);
    return bookFrame('update', m, altered, checksum, now);
  }

  protected malformedFrame(kind: BadFrameKind, lastReal: string): string | Buffer {
    const next = this.nextTradeOf(this.trades.values());
    const symbol = next ? krakenWsSymbol(next.market.spec.symbol) : 'BTC/USD';
    const id = next?.id ?? 1;
    const time = isoMicros(nowUs());
    const trade = (fields: string) => `{"channel":"trade","type":"update","data":[{${fields}}]}`;
    switch (kind) {
      case 'truncated_json':
        return lastReal.slice(0, Math.max(1, lastReal.length >> 1));
      case 'binary':
        return BINARY_BAD_FRAME;
      case 'unknown_type':
        return '{"channel":"mystery","type":"update","data":[]}';
      case 'nan_price':
        return trade(
          `"symbol":"${symbol}","side":"buy","price":NaN,"qty":0.1,"ord_type":"limit","trade_id":${id},"timestamp":"${time}"`,
        );
      case 'negative_price':
        return trade(
          `"symbol":"${symbol}","side":"buy","price":-1,"qty":0.1,"ord_type":"limit","trade_id":${id},"timestamp":"${time}"`,
        );
      case 'missing_trade_id':
        return trade(
          `"symbol":"${symbol}","side":"buy","price":1.0,"qty":0.1,"ord_type":"limit","timestamp":"${time}"`,
        );
      case 'wrong_types':
        return trade(
          `"symbol":"${symbol}","side":1,"price":"1.0","qty":"0.1","ord_type":"limit","trade_id":"${id}","timestamp":12345`,
        );
    }
  }
}

interface Response {
  error?: string;
  method: string;
  req_id?: number;
  result?: Record<string, unknown>;
  success: boolean;
  symbol?: string;
  time_in: string;
  time_out: string;
}

export class KrakenSimulator implements ExchangeSimulator {
  readonly exchange = 'kraken' as const;
  readonly urls: { ws: string; rest: string };
  private readonly sessions = new Set<KrakenSession>();
  /** v2 WebSocket symbol (`BTC/USD`) -> market. */
  private readonly bySymbol = new Map<string, SimMarket>();
  /** Every accepted REST pair spelling, upper case -> market. */
  private readonly byPair = new Map<string, SimMarket>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly connectionIds: Prng;

  private constructor(
    private readonly server: SimServer,
    private readonly options: ExchangeSimulatorOptions,
  ) {
    for (const m of options.markets) {
      const ws = krakenWsSymbol(m.spec.symbol);
      this.bySymbol.set(ws, m);
      const names = krakenPairNames(m.spec.symbol);
      for (const n of [names.key, names.altname, names.wsname, ws, ws.replace('/', ''), m.spec.symbol]) {
        this.byPair.set(n.toUpperCase(), m);
      }
    }
    this.connectionIds = new Prng(deriveSeed(options.seed, 'kraken', 'connections'));
    this.urls = {
      ws: `ws://${options.host}:${server.port}/v2`,
      rest: `http://${options.host}:${server.port}`,
    };
    this.heartbeatTimer = setInterval(() => {
      for (const s of this.sessions) if (s.heartbeat && !s.closed) s.send('{"channel":"heartbeat"}');
    }, 1000);
    this.heartbeatTimer.unref();
  }

  static async start(options: ExchangeSimulatorOptions): Promise<KrakenSimulator> {
    let sim: KrakenSimulator | undefined;
    const server = await SimServer.start(options.host, options.port, options, {
      wsPaths: ['/v2', '/'],
      rest: (url) => sim?.rest(url) ?? UNKNOWN_METHOD,
      // Kraken's error text; HTTP 429 so generic clients back off too (Kraken sends 200 or 429).
      rateLimited: json(429, '{"error":["EAPI:Rate limit exceeded"]}'),
      connection: (ws) => sim?.connect(ws),
    });
    sim = new KrakenSimulator(server, options);
    return sim;
  }

  bookDepthNeeded(market: SimMarket): number {
    let depth = 0;
    for (const s of this.sessions) {
      const sub = s.books.get(market.spec.symbol);
      if (sub && sub.depth > depth && !s.closed) depth = sub.depth;
    }
    return depth;
  }

  pump(): void {
    for (const s of this.sessions) if (s.trades.size > 0 && !s.closed) s.pumpTrades();
  }

  publishBook(
    market: SimMarket,
    _changes: readonly BookChange[],
    before: BookTop | undefined,
    now: number,
  ): void {
    if (!before) return;
    const symbol = market.spec.symbol;
    const checksum = masterChecksum(market.book);
    const byDepth = new Map<number, { diff: BookDiff; text: string | undefined }>();
    for (const s of this.sessions) {
      const sub = s.books.get(symbol);
      if (!sub || s.closed) continue;
      let view = byDepth.get(sub.depth);
      if (!view) {
        const diff = {
          bids: depthDiff(before.bids, market.book.bids, sub.depth),
          asks: depthDiff(before.asks, market.book.asks, sub.depth),
        };
        const empty = diff.bids.length === 0 && diff.asks.length === 0;
        view = { diff, text: empty ? undefined : bookFrame('update', market, diff, checksum, now) };
        byDepth.set(sub.depth, view);
      }
      if (view.text === undefined) continue;
      s.send(s.nextBookUpdateCorrupt() ? s.corrupt(market, view.diff, checksum, now) : view.text);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.server.close();
  }

  // --- WebSocket ---------------------------------------------------------------------

  private connect(ws: WebSocket): void {
    const session = new KrakenSession(ws, this.options.faults);
    this.sessions.add(session);
    ws.on('message', (data, isBinary) => {
      if (!session.closed) this.onMessage(session, isBinary ? '' : data.toString());
    });
    ws.on('close', (code) => {
      this.sessions.delete(session);
      this.options.logger.debug({ exchange: 'kraken', code, sent: session.sent }, 'client disconnected');
    });
    this.options.logger.debug({ exchange: 'kraken', clients: this.sessions.size }, 'client connected');
    // connection_id is a 64-bit integer (> 2^53), sent as a bare JSON number like Kraken does.
    const high = (this.connectionIds.nextU32() | 0x8000_0000) >>> 0;
    const id = (BigInt(high) << 32n) | BigInt(this.connectionIds.nextU32());
    session.send(
      `{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":${id}}]}`,
    );
  }

  private respond(s: KrakenSession, r: Omit<Response, 'time_out'>): boolean {
    // Rebuilt in Kraken's key order (error, method, req_id, result, success, symbol, time_in, time_out).
    const { error, method, req_id, result, success, symbol, time_in } = r;
    const time_out = isoMicros(nowUs());
    return s.send(JSON.stringify({ error, method, req_id, result, success, symbol, time_in, time_out }));
  }

  private onMessage(s: KrakenSession, text: string): void {
    const timeIn = isoMicros(nowUs());
    let msg: { method?: unknown; params?: unknown; req_id?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new Error('not an object');
    } catch {
      this.respond(s, { error: 'Malformed request', method: '', success: false, time_in: timeIn });
      return;
    }
    const reqId = typeof msg.req_id === 'number' ? msg.req_id : undefined;
    const method = typeof msg.method === 'string' ? msg.method : '';
    const base = { method, req_id: reqId, time_in: timeIn };
    if (method === 'ping') {
      s.send(
        JSON.stringify({ method: 'pong', req_id: reqId, time_in: timeIn, time_out: isoMicros(nowUs()) }),
      );
      return;
    }
    if (method !== 'subscribe' && method !== 'unsubscribe') {
      this.respond(s, { ...base, error: 'Method not found', success: false });
      return;
    }
    const params = (msg.params ?? {}) as {
      channel?: unknown;
      symbol?: unknown;
      depth?: unknown;
      snapshot?: unknown;
    };
    const channel = params.channel;
    if (channel !== 'trade' && channel !== 'book') {
      this.respond(s, { ...base, error: `Channel ${String(channel)} not supported`, success: false });
      return;
    }
    const symbols = Array.isArray(params.symbol) ? (params.symbol as unknown[]) : [];
    if (symbols.length === 0 || !symbols.every((x): x is string => typeof x === 'string')) {
      this.respond(s, { ...base, error: 'symbol must be a non-empty array of strings', success: false });
      return;
    }
    const depth = params.depth === undefined ? DEFAULT_DEPTH : params.depth;
    const snapshot = params.snapshot !== false;
    for (const symbol of symbols) {
      const fail = (error: string) => this.respond(s, { ...base, error, success: false, symbol });
      const m = this.bySymbol.get(symbol);
      if (!m) fail('Currency pair not supported');
      else if (channel === 'book' && !(KRAKEN_BOOK_DEPTHS as readonly unknown[]).includes(depth)) {
        fail(`Invalid depth ${String(depth)}: one of ${KRAKEN_BOOK_DEPTHS.join(', ')}`);
      } else if (method === 'subscribe') {
        if (!this.subscribe(s, channel, m, symbol, depth as number, snapshot, base)) return;
      } else if (!this.unsubscribe(s, channel, m, symbol, base)) fail('Subscription Not Found');
    }
  }

  /** Subscribes one symbol: ack, then the snapshot. False when the connection is gone. */
  private subscribe(
    s: KrakenSession,
    channel: 'trade' | 'book',
    m: SimMarket,
    symbol: string,
    depth: number,
    snapshot: boolean,
    base: { method: string; req_id: number | undefined; time_in: string },
  ): boolean {
    const key = m.spec.symbol;
    if (channel === 'trade' && s.trades.has(key)) {
      return this.respond(s, { ...base, error: 'Already subscribed', success: false, symbol });
    }
    s.heartbeat = true;
    if (channel === 'trade') {
      const h = m.history;
      s.trades.set(key, { market: m, cursor: h.length });
      if (!this.respond(s, { ...base, result: { channel, snapshot, symbol }, success: true })) return false;
      if (!snapshot) return true;
      const entries: string[] = [];
      for (let i = h.length - 1; i >= 0 && entries.length < TRADE_SNAPSHOT_SIZE; i--) {
        if (!h.withheld(i)) entries.push(tradeEntry(m, symbol, i));
      }
      return s.send(`{"channel":"trade","type":"snapshot","data":[${entries.reverse().join(',')}]}`);
    }
    // A new book subscription (or a new depth) replaces the old view with a fresh snapshot.
    s.books.set(key, { market: m, depth });
    if (!this.respond(s, { ...base, result: { channel, depth, snapshot, symbol }, success: true }))
      return false;
    if (!snapshot) return true;
    const top = m.book.top(depth);
    const diff = { bids: topPairs(top.bids), asks: topPairs(top.asks) };
    return s.send(bookFrame('snapshot', m, diff, masterChecksum(m.book), m.book.lastChangeUs));
  }

  private unsubscribe(
    s: KrakenSession,
    channel: 'trade' | 'book',
    m: SimMarket,
    symbol: string,
    base: { method: string; req_id: number | undefined; time_in: string },
  ): boolean {
    const key = m.spec.symbol;
    if (channel === 'trade') {
      if (!s.trades.delete(key)) return false;
      this.respond(s, { ...base, result: { channel, symbol }, success: true });
      return true;
    }
    const sub = s.books.get(key);
    if (!sub) return false;
    s.books.delete(key);
    this.respond(s, { ...base, result: { channel, depth: sub.depth, symbol }, success: true });
    return true;
  }

  // --- REST --------------------------------------------------------------------------

  private rest(url: URL): RestAnswer {
    const q = url.searchParams;
    switch (url.pathname) {
      case '/0/public/Time': {
        const seconds = Math.floor(nowUs() / 1e6);
        return ok(`{"unixtime":${seconds},"rfc1123":"${rfc1123(seconds)}"}`);
      }
      case '/0/public/AssetPairs':
        return this.assetPairs(q);
      case '/0/public/Trades':
        return this.withPair(q, restTrades);
      case '/0/public/Depth':
        return this.withPair(q, restDepth);
      default:
        return UNKNOWN_METHOD;
    }
  }

  private withPair(q: URLSearchParams, answer: (m: SimMarket, q: URLSearchParams) => RestAnswer): RestAnswer {
    const m = this.byPair.get((q.get('pair') ?? '').toUpperCase());
    return m ? answer(m, q) : UNKNOWN_PAIR;
  }

  private assetPairs(q: URLSearchParams): RestAnswer {
    const wanted = q.get('pair');
    const markets: SimMarket[] = [];
    if (wanted === null) markets.push(...this.bySymbol.values());
    else {
      for (const p of wanted.split(',')) {
        const m = this.byPair.get(p.trim().toUpperCase());
        if (!m) return UNKNOWN_PAIR;
        markets.push(m);
      }
    }
    const result: Record<string, unknown> = {};
    for (const m of markets) result[krakenPairNames(m.spec.symbol).key] = assetPairOf(m);
    return ok(JSON.stringify(result));
  }
}

function ok(resultJson: string): RestAnswer {
  return json(200, `{"error":[],"result":${resultJson}}`);
}

/** `count`: a positive integer, capped at `max`; undefined when invalid. */
function countParam(q: URLSearchParams, def: number, max: number): number | undefined {
  const text = q.get('count');
  if (text === null) return def;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) return undefined;
  return Math.min(max, Number(text));
}

/**
 * `GET /0/public/Trades`: oldest first, trades with time strictly after `since` (seconds
 * when < 1e12, else nanoseconds); without `since`, the latest `count`. `last` is the
 * nanosecond time of the last row, the cursor for the next page.
 */
function restTrades(m: SimMarket, q: URLSearchParams): RestAnswer {
  const count = countParam(q, REST_TRADES_MAX, REST_TRADES_MAX);
  const sinceText = q.get('since');
  if (count === undefined || (sinceText !== null && !/^\d{1,19}(\.\d{1,9})?$/.test(sinceText))) {
    return INVALID_ARGUMENTS;
  }
  const h = m.history;
  let start: number;
  let sinceNs = 0n;
  if (sinceText === null) start = Math.max(0, h.length - count);
  else {
    const [whole = '0', frac = ''] = sinceText.split('.');
    sinceNs =
      BigInt(whole) < 1_000_000_000_000n ? BigInt(whole + frac.padEnd(9, '0').slice(0, 9)) : BigInt(whole);
    start = h.firstAfter(Number(sinceNs / 1000n));
  }
  const end = Math.min(h.length, start + count);
  const d = m.spec.priceDecimals;
  const rows: string[] = [];
  for (let i = start; i < end; i++) {
    const id = h.id(i);
    rows.push(
      `["${fixedText(h.price(i), d)}","${fixedText(h.size(i), SIZE_DECIMALS)}",${secondsText(h.ts(i))},"${h.takerBuy(i) ? 'b' : 's'}","${ordTypeOf(id) === 'market' ? 'm' : 'l'}","",${id}]`,
    );
  }
  const last = end > start ? `${h.ts(end - 1)}000` : String(sinceNs);
  return ok(`{"${krakenPairNames(m.spec.symbol).key}":[${rows.join(',')}],"last":"${last}"}`);
}

/** `GET /0/public/Depth`: `[price, volume, last change (s)]`, asks ascending, bids descending. */
function restDepth(m: SimMarket, q: URLSearchParams): RestAnswer {
  const count = countParam(q, REST_DEPTH_DEFAULT, REST_DEPTH_MAX);
  if (count === undefined) return INVALID_ARGUMENTS;
  const d = m.spec.priceDecimals;
  const side = (ladder: MasterBook['bids']) => {
    const rows: string[] = [];
    for (let i = 0; i < Math.min(count, ladder.length); i++) {
      rows.push(
        `["${fixedText(ladder.ticks[i]!, d)}","${fixedText(ladder.sizes[i]!, SIZE_DECIMALS)}",${Math.floor(ladder.times[i]! / 1e6)}]`,
      );
    }
    return rows.join(',');
  };
  return ok(
    `{"${krakenPairNames(m.spec.symbol).key}":{"asks":[${side(m.book.asks)}],"bids":[${side(m.book.bids)}]}}`,
  );
}

const FEES = [
  [0, 0.26],
  [50000, 0.24],
  [100000, 0.22],
  [250000, 0.2],
  [500000, 0.18],
  [1000000, 0.16],
  [2500000, 0.14],
  [5000000, 0.12],
  [10000000, 0.1],
];
const FEES_MAKER = [
  [0, 0.16],
  [50000, 0.14],
  [100000, 0.12],
  [250000, 0.1],
  [500000, 0.08],
  [1000000, 0.06],
  [2500000, 0.04],
  [5000000, 0.02],
  [10000000, 0],
];

function assetPairOf(m: SimMarket): Record<string, unknown> {
  const names = krakenPairNames(m.spec.symbol);
  return {
    altname: names.altname,
    wsname: names.wsname,
    aclass_base: 'currency',
    base: names.base,
    aclass_quote: 'currency',
    quote: names.quote,
    lot: 'unit',
    pair_decimals: m.spec.priceDecimals,
    lot_decimals: SIZE_DECIMALS,
    lot_multiplier: 1,
    leverage_buy: [],
    leverage_sell: [],
    fees: FEES,
    fees_maker: FEES_MAKER,
    fee_volume_currency: 'ZUSD',
    margin_call: 80,
    margin_stop: 40,
    ordermin: '0.0001',
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Kraken's `rfc1123` text: `Thu, 06 Jul 23 18:50:48 +0000` (two-digit year). */
function rfc1123(seconds: number): string {
  const t = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[t.getUTCDay()]}, ${two(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${two(t.getUTCFullYear() % 100)} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} +0000`;
}

export function startKrakenSimulator(options: ExchangeSimulatorOptions): Promise<KrakenSimulator> {
  return KrakenSimulator.start(options);
}
