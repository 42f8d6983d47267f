/**
 * Coinbase Exchange simulator: the ws-feed (`matches`, `level2_batch`, `heartbeat`) and
 * the public REST endpoints on one port, speaking the real message shapes
 * (shared protocols/coinbase.md). Trades are sent per client from a cursor into the
 * market's history; `match.side` is the maker's side, as on the real feed.
 */

import type { WebSocket } from 'ws';
import { nowUs } from '../../core/time.js';
import type { ExchangeSimulator, ExchangeSimulatorOptions } from '../../sim/exchange-simulator.js';
import { type BadFrameKind, BINARY_BAD_FRAME } from '../../sim/faults.js';
import { fixedText, isoMicros, paddedText, trimmedText, uuidFrom } from '../../sim/format.js';
import type { SimMarket } from '../../sim/market.js';
import { SIZE_DECIMALS } from '../../sim/market-spec.js';
import type { BookChange, Ladder } from '../../sim/master-book.js';
import { mix32 } from '../../sim/prng.js';
import { json, type RestAnswer, SimServer } from '../../sim/server.js';
import { SimSession, type TradeCursor } from '../../sim/session.js';
import type { CbProduct } from './protocol.js';

/** Channels served, in the order the subscriptions ack lists them. */
const CHANNELS = ['matches', 'level2_batch', 'heartbeat'] as const;
type Channel = (typeof CHANNELS)[number];
/** 2026 Coinbase acknowledges `level2_batch` under the name `level2_50`. */
const ACK_NAME: Record<Channel, string> = {
  matches: 'matches',
  level2_batch: 'level2_50',
  heartbeat: 'heartbeat',
};
/** Real channels this public simulator refuses, as Coinbase does without authentication. */
const AUTH_CHANNELS = new Set(['level2', 'level3', 'full', 'user', 'rfq_matches']);

const MAKER_SALT = 0x5bd1e995;
const TAKER_SALT = 0x27d4eb2f;
const REST_PAGE_MAX = 1000;
const NOT_FOUND = json(404, '{"message":"NotFound"}');
const TRADE_DECIMALS_REST = 8;

function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}

/** Per-product sequence: every trade takes an even number, heartbeats the odd one after it. */
function sequenceOf(m: SimMarket, index: number): number {
  return m.spec.firstTradeId * 10 + 2 * index;
}

/** The product's sequence once trade `index` has happened (-1: before any trade). */
function sequenceAfter(m: SimMarket, index: number): number {
  return sequenceOf(m, index) + 1;
}

function matchFrame(type: 'match' | 'last_match', m: SimMarket, i: number): string {
  const h = m.history;
  const id = h.id(i);
  const makerSide = h.takerBuy(i) ? 'sell' : 'buy';
  return `{"type":"${type}","trade_id":${id},"maker_order_id":"${uuidFrom(id, MAKER_SALT)}","taker_order_id":"${uuidFrom(id, TAKER_SALT)}","side":"${makerSide}","size":"${trimmedText(h.size(i), SIZE_DECIMALS)}","price":"${trimmedText(h.price(i), m.spec.priceDecimals)}","product_id":"${m.spec.symbol}","sequence":${sequenceOf(m, i)},"time":"${isoMicros(h.ts(i))}"}`;
}

function levelsText(ladder: Ladder, decimals: number): string {
  const parts: string[] = [];
  for (let i = 0; i < ladder.length; i++) {
    parts.push(
      `["${fixedText(ladder.ticks[i]!, decimals)}","${fixedText(ladder.sizes[i]!, SIZE_DECIMALS)}"]`,
    );
  }
  return parts.join(',');
}

function changeText(c: BookChange, decimals: number): string {
  return `["${c.side === 'bids' ? 'buy' : 'sell'}","${fixedText(c.tick, decimals)}","${fixedText(c.size, SIZE_DECIMALS)}"]`;
}

class CoinbaseSession extends SimSession {
  readonly matches = new Map<string, TradeCursor>();
  readonly level2 = new Map<string, SimMarket>();
  readonly heartbeats = new Map<string, SimMarket>();
  subscribeTimer: NodeJS.Timeout | undefined;
  /** Rotates which market goes first, so a congested client still gets every market. */
  private turn = 0;

  /** The products subscribed on a channel (ack order = insertion order). */
  subscribed(channel: Channel): Map<string, unknown> {
    return channel === 'matches' ? this.matches : channel === 'level2_batch' ? this.level2 : this.heartbeats;
  }

  /** Offers every trade made since the cursor, skipping withheld ones, until the buffer is full. */
  pumpTrades(): void {
    const subs = [...this.matches.values()];
    const start = this.turn++ % subs.length;
    for (let k = 0; k < subs.length; k++) {
      const sub = subs[(start + k) % subs.length]!;
      const h = sub.market.history;
      const end = h.length;
      let i = sub.cursor;
      while (i < end) {
        if (h.withheld(i)) {
          i++;
          continue;
        }
        if (this.congested) break;
        const ok = this.send(matchFrame('match', sub.market, i));
        i++;
        if (!ok) break;
      }
      sub.cursor = i;
      if (this.closed) return;
    }
  }

  /** Index of the last trade offered to this client (sent or withheld): heartbeats report its id. */
  lastOfferedIndex(product: string, m: SimMarket): number {
    const sub = this.matches.get(product);
    return sub ? sub.cursor - 1 : m.history.length - 1;
  }

  protected malformedFrame(kind: BadFrameKind, lastReal: string): string | Buffer {
    const next = this.nextTradeOf(this.matches.values());
    const product = next?.market.spec.symbol ?? 'BTC-USD';
    const id = next?.id ?? 1;
    const time = isoMicros(nowUs());
    const base = `"maker_order_id":"${uuidFrom(id, MAKER_SALT)}","taker_order_id":"${uuidFrom(id, TAKER_SALT)}","side":"buy"`;
    switch (kind) {
      case 'truncated_json':
        return lastReal.slice(0, Math.max(1, lastReal.length >> 1));
      case 'binary':
        return BINARY_BAD_FRAME;
      case 'unknown_type':
        return '{"type":"mystery_type"}';
      case 'nan_price':
        return `{"type":"match","trade_id":${id},${base},"size":"0.1","price":"NaN","product_id":"${product}","sequence":0,"time":"${time}"}`;
      case 'negative_price':
        return `{"type":"match","trade_id":${id},${base},"size":"0.1","price":"-1.00","product_id":"${product}","sequence":0,"time":"${time}"}`;
      case 'missing_trade_id':
        return `{"type":"match",${base},"size":"0.1","price":"1.00","product_id":"${product}","sequence":0,"time":"${time}"}`;
      case 'wrong_types':
        return `{"type":"match","trade_id":"${id}",${base},"size":0.1,"price":1,"product_id":"${product}","sequence":"0","time":12345}`;
    }
  }
}

interface ChannelRequest {
  name: string;
  products: string[];
}

export class CoinbaseSimulator implements ExchangeSimulator {
  readonly exchange = 'coinbase' as const;
  readonly urls: { ws: string; rest: string };
  private readonly sessions = new Set<CoinbaseSession>();
  private readonly markets = new Map<string, SimMarket>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly snapshotCache = new Map<SimMarket, { version: number; text: string }>();

  private constructor(
    private readonly server: SimServer,
    private readonly options: ExchangeSimulatorOptions,
  ) {
    for (const m of options.markets) this.markets.set(m.spec.symbol, m);
    this.urls = {
      ws: `ws://${options.host}:${server.port}`,
      rest: `http://${options.host}:${server.port}`,
    };
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), 1000);
    this.heartbeatTimer.unref();
  }

  static async start(options: ExchangeSimulatorOptions): Promise<CoinbaseSimulator> {
    let sim: CoinbaseSimulator | undefined;
    const server = await SimServer.start(options.host, options.port, options, {
      wsPaths: ['/'],
      rest: (url) => sim?.rest(url) ?? NOT_FOUND,
      rateLimited: json(429, '{"message":"Public rate limit exceeded"}'),
      connection: (ws) => sim?.connect(ws),
    });
    sim = new CoinbaseSimulator(server, options);
    return sim;
  }

  bookDepthNeeded(): number {
    return 0; // l2update carries every change at full depth; no per-client view to diff.
  }

  pump(): void {
    for (const s of this.sessions) if (s.matches.size > 0 && !s.closed) s.pumpTrades();
  }

  publishBook(market: SimMarket, changes: readonly BookChange[], _before: unknown, now: number): void {
    if (changes.length === 0) return;
    const product = market.spec.symbol;
    const d = market.spec.priceDecimals;
    const time = isoMicros(now);
    const frame = (list: readonly string[]) =>
      `{"type":"l2update","product_id":"${product}","changes":[${list.join(',')}],"time":"${time}"}`;
    let parts: string[] | undefined;
    let text: string | undefined;
    for (const s of this.sessions) {
      if (s.closed || !s.level2.has(product)) continue;
      parts ??= changes.map((c) => changeText(c, d));
      if (s.nextBookUpdateCorrupt()) {
        // No checksum on Coinbase: the corruption is a bid at or above the best ask (a crossed book).
        const ask = market.book.asks.ticks[0] ?? market.lastPriceTicks + 1;
        s.send(frame([...parts, `["buy","${fixedText(ask + (s.bookUpdates % 3), d)}","1.00000000"]`]));
      } else {
        text ??= frame(parts);
        s.send(text);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    for (const s of this.sessions) clearTimeout(s.subscribeTimer);
    await this.server.close();
  }

  // --- WebSocket ---------------------------------------------------------------------

  private connect(ws: WebSocket): void {
    const session = new CoinbaseSession(ws, this.options.faults);
    this.sessions.add(session);
    session.subscribeTimer = setTimeout(() => {
      // Coinbase closes connections that do not subscribe within 5 s.
      if (!session.closed) session.close(1008, 'subscribe timeout');
    }, this.options.subscribeTimeoutMs);
    ws.on('message', (data, isBinary) => {
      if (!session.closed) this.onMessage(session, isBinary ? '' : data.toString());
    });
    ws.on('close', (code) => {
      clearTimeout(session.subscribeTimer);
      this.sessions.delete(session);
      this.options.logger.debug({ exchange: 'coinbase', code, sent: session.sent }, 'client disconnected');
    });
    this.options.logger.debug({ exchange: 'coinbase', clients: this.sessions.size }, 'client connected');
  }

  private sendError(s: CoinbaseSession, message: string, reason: string): void {
    s.send(JSON.stringify({ type: 'error', message, reason }));
  }

  private onMessage(s: CoinbaseSession, text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new Error('not an object');
    } catch {
      this.sendError(s, 'Malformed JSON', 'message must be a JSON object');
      return;
    }
    if (msg.type !== 'subscribe' && msg.type !== 'unsubscribe') {
      this.sendError(s, 'Failed to subscribe', 'Type has to be either subscribe or unsubscribe');
      return;
    }
    const requests = this.channelRequests(msg);
    if (requests.length === 0) {
      this.sendError(s, 'Failed to subscribe', 'No channels provided');
      return;
    }
    if (msg.type === 'subscribe') {
      clearTimeout(s.subscribeTimer);
      this.subscribe(s, requests);
    } else this.unsubscribe(s, requests);
  }

  private channelRequests(msg: Record<string, unknown>): ChannelRequest[] {
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
    const top = strings(msg.product_ids);
    const out: ChannelRequest[] = [];
    for (const c of Array.isArray(msg.channels) ? (msg.channels as unknown[]) : []) {
      if (typeof c === 'string') out.push({ name: c, products: top });
      else if (c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string') {
        const o = c as { name: string; product_ids?: unknown };
        out.push({ name: o.name, products: o.product_ids === undefined ? top : strings(o.product_ids) });
      }
    }
    return out;
  }

  private subscribe(s: CoinbaseSession, requests: ChannelRequest[]): void {
    const newTrades: SimMarket[] = [];
    const newBooks: SimMarket[] = [];
    // One error per distinct problem; the valid rest of the request still subscribes.
    const problems = new Set<string>();
    for (const { name, products } of requests) {
      if (!isChannel(name)) {
        problems.add(
          AUTH_CHANNELS.has(name)
            ? `${name} channel requires authentication`
            : `${name} is not a valid channel`,
        );
        continue;
      }
      if (products.length === 0) problems.add(`No product ids provided for ${name}`);
      for (const p of products) {
        const m = this.markets.get(p);
        if (!m) {
          problems.add(`${p} is not a valid product`);
          continue;
        }
        if (name === 'matches' && !s.matches.has(p)) {
          s.matches.set(p, { market: m, cursor: m.history.length });
          newTrades.push(m);
        } else if (name === 'level2_batch' && !s.level2.has(p)) {
          s.level2.set(p, m);
          newBooks.push(m);
        } else if (name === 'heartbeat') s.heartbeats.set(p, m);
      }
    }
    for (const reason of problems) this.sendError(s, 'Failed to subscribe', reason);
    if (!this.sendAck(s)) return;
    for (const m of newTrades) {
      // last_match: the most recent trade made, even one withheld from the feed.
      const h = m.history;
      if (h.length > 0 && !s.send(matchFrame('last_match', m, h.length - 1))) return;
    }
    for (const m of newBooks) if (!s.send(this.snapshotText(m))) return;
  }

  private unsubscribe(s: CoinbaseSession, requests: ChannelRequest[]): void {
    for (const { name, products } of requests) {
      if (!isChannel(name)) continue;
      const map = s.subscribed(name);
      if (products.length === 0) map.clear();
      for (const p of products) map.delete(p);
    }
    this.sendAck(s);
  }

  /** The subscriptions ack: the whole current set, as Coinbase sends after every (un)subscribe. */
  private sendAck(s: CoinbaseSession): boolean {
    const channels = [];
    for (const c of CHANNELS) {
      const map = s.subscribed(c);
      if (map.size > 0) channels.push({ name: ACK_NAME[c], product_ids: [...map.keys()], account_ids: null });
    }
    return s.send(JSON.stringify({ type: 'subscriptions', channels }));
  }

  private snapshotText(m: SimMarket): string {
    const book = m.book;
    const cached = this.snapshotCache.get(m);
    if (cached && cached.version === book.version) return cached.text;
    const d = m.spec.priceDecimals;
    const text = `{"type":"snapshot","product_id":"${m.spec.symbol}","bids":[${levelsText(book.bids, d)}],"asks":[${levelsText(book.asks, d)}],"time":"${isoMicros(book.lastChangeUs)}"}`;
    this.snapshotCache.set(m, { version: book.version, text });
    return text;
  }

  private sendHeartbeats(): void {
    const time = isoMicros(nowUs());
    for (const s of this.sessions) {
      if (s.closed) continue;
      for (const [product, m] of s.heartbeats) {
        const i = s.lastOfferedIndex(product, m);
        const lastId = i >= 0 ? m.history.id(i) : 0;
        const sequence = sequenceAfter(m, i);
        if (
          !s.send(
            `{"type":"heartbeat","last_trade_id":${lastId},"product_id":"${product}","sequence":${sequence},"time":"${time}"}`,
          )
        )
          break;
      }
    }
  }

  // --- REST --------------------------------------------------------------------------

  private rest(url: URL): RestAnswer {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length === 1 && parts[0] === 'time') {
      const us = nowUs();
      return json(200, `{"iso":"${isoMicros(us)}","epoch":${(us / 1e6).toFixed(3)}}`);
    }
    if (parts[0] !== 'products') return NOT_FOUND;
    if (parts.length === 1) return json(200, JSON.stringify([...this.markets.values()].map(productOf)));
    const m = this.markets.get(parts[1] ?? '');
    if (!m || parts.length > 3) return NOT_FOUND;
    if (parts.length === 2) return json(200, JSON.stringify(productOf(m)));
    if (parts[2] === 'trades') return restTrades(m, url.searchParams);
    if (parts[2] === 'book') return restBook(m, url.searchParams);
    return NOT_FOUND;
  }
}

function productOf(m: SimMarket): CbProduct {
  const { symbol, base, quote, priceDecimals } = m.spec;
  return {
    id: symbol,
    base_currency: base,
    quote_currency: quote,
    base_increment: fixedText(1, SIZE_DECIMALS),
    quote_increment: fixedText(1, priceDecimals),
    display_name: `${base}/${quote}`,
    min_market_funds: '1',
    margin_enabled: false,
    post_only: false,
    limit_only: false,
    cancel_only: false,
    status: 'online',
    status_message: '',
    trading_disabled: false,
    fx_stablecoin: false,
    auction_mode: false,
  };
}

function badRequest(message: string): RestAnswer {
  return json(400, JSON.stringify({ message }));
}

const DIGITS = /^\d{1,15}$/;

/**
 * `GET /products/{id}/trades`: newest first. `after=X` -> the newest `limit` trades with
 * id < X; `before=X` -> the `limit` trades just above X. CB-BEFORE / CB-AFTER carry the
 * page's newest and oldest ids (the cursors for the next newer / older page).
 */
function restTrades(m: SimMarket, q: URLSearchParams): RestAnswer {
  const limitText = q.get('limit');
  const limit = limitText === null ? REST_PAGE_MAX : DIGITS.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= REST_PAGE_MAX))
    return badRequest(`limit must be an integer 1..${REST_PAGE_MAX}`);
  const after = q.get('after');
  const before = q.get('before');
  if (after !== null && !DIGITS.test(after)) return badRequest('after must be a trade id');
  if (before !== null && !DIGITS.test(before)) return badRequest('before must be a trade id');
  const h = m.history;
  let hi = h.length - 1;
  let lo = 0;
  if (after !== null) hi = Math.min(hi, h.indexOf(Number(after)) - 1);
  if (before !== null) lo = Math.max(lo, h.indexOf(Number(before)) + 1);
  if (before !== null && after === null) hi = Math.min(hi, lo + limit - 1);
  else lo = Math.max(lo, hi - limit + 1);
  const items: string[] = [];
  const d = m.spec.priceDecimals;
  for (let i = hi; i >= lo; i--) {
    items.push(
      `{"time":"${isoMicros(h.ts(i))}","trade_id":${h.id(i)},"price":"${paddedText(h.price(i), d, TRADE_DECIMALS_REST)}","size":"${fixedText(h.size(i), SIZE_DECIMALS)}","side":"${h.takerBuy(i) ? 'sell' : 'buy'}"}`,
    );
  }
  const headers: Record<string, string> = {};
  if (items.length > 0) {
    headers['cb-before'] = String(h.id(hi));
    headers['cb-after'] = String(h.id(lo));
  }
  return json(200, `[${items.join(',')}]`, headers);
}

/** `GET /products/{id}/book?level=1|2`: level 2 is the whole master book here. */
function restBook(m: SimMarket, q: URLSearchParams): RestAnswer {
  const level = q.get('level') ?? '1';
  if (level !== '1' && level !== '2') return badRequest('level must be 1 or 2');
  const d = m.spec.priceDecimals;
  const side = (ladder: Ladder): string => {
    const n = level === '1' ? Math.min(1, ladder.length) : ladder.length;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = ladder.ticks[i]!;
      parts.push(
        `["${fixedText(t, d)}","${fixedText(ladder.sizes[i]!, SIZE_DECIMALS)}",${1 + (mix32(t) % 5)}]`,
      );
    }
    return parts.join(',');
  };
  const sequence = sequenceAfter(m, m.history.length - 1);
  return json(
    200,
    `{"bids":[${side(m.book.bids)}],"asks":[${side(m.book.asks)}],"sequence":${sequence},"time":"${isoMicros(nowUs())}"}`,
  );
}

export function startCoinbaseSimulator(options: ExchangeSimulatorOptions): Promise<CoinbaseSimulator> {
  return CoinbaseSimulator.start(options);
}
