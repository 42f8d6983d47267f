/**
 * The in-process store used when REDIS_URL is unset: the same semantics and answers as
 * the Redis store (idempotent ingest, candles, stats, stream ids, blocking reads), with
 * bounded memory: a ring buffer per market.
 */

import { EventEmitter } from 'node:events';
import type { Candle, Exchange, Trade } from '../../core/types.js';
import { mergeCandle } from '../aggregate.js';
import type {
  BookEntry,
  BookTop,
  CollectorReport,
  IngestResult,
  MarketStats,
  MinuteAggregate,
  Store,
  StoredBookEntry,
  StoredTrade,
  StreamCursor,
  StreamItem,
  StreamName,
} from '../store.js';
import { Ring } from './ring.js';
import { compareStreamIds, StreamIdClock } from './stream-id.js';

interface MarketData {
  trades: Ring<StoredTrade>;
  book: Ring<StoredBookEntry>;
  candles: Map<number, Candle>;
  stats: MarketStats | undefined;
  top: BookTop | undefined;
  gaps: { fromTradeId: number; toTradeId: number; reason: string }[];
}

export interface EmbeddedStoreOptions {
  /** Trades kept per market (oldest dropped first). */
  maxTradesPerMarket: number;
  maxBookEntriesPerMarket?: number;
}

export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly healthy = true;
  private readonly markets = new Map<string, MarketData>();
  private readonly symbolSets = new Map<Exchange, Set<string>>();
  private readonly signalLog: { id: string; symbol: string; fields: Record<string, string> }[] = [];
  private readonly clock = new StreamIdClock();
  private readonly collectorHealth = new Map<string, CollectorReport>();
  private readonly events = new EventEmitter();

  constructor(private readonly options: EmbeddedStoreOptions) {
    this.events.setMaxListeners(0);
  }

  async connect(): Promise<void> {}
  async close(): Promise<void> {
    this.events.emit('wake');
  }
  async ping(): Promise<boolean> {
    return true;
  }

  private market(exchange: Exchange, symbol: string, create: true): MarketData;
  private market(exchange: Exchange, symbol: string, create?: false): MarketData | undefined;
  private market(exchange: Exchange, symbol: string, create = false): MarketData | undefined {
    const k = `${exchange}:${symbol}`;
    let m = this.markets.get(k);
    if (!m && create) {
      m = {
        trades: new Ring(this.options.maxTradesPerMarket),
        book: new Ring(this.options.maxBookEntriesPerMarket ?? 10_000),
        candles: new Map(),
        stats: undefined,
        top: undefined,
        gaps: [],
      };
      this.markets.set(k, m);
    }
    return m;
  }

  // ---- writer side ----

  async ingestTrades(
    exchange: Exchange,
    symbol: string,
    trades: readonly Trade[],
    aggregates: readonly MinuteAggregate[],
    expectedPrev?: number,
    chainAfter?: number,
  ): Promise<IngestResult> {
    const m = this.market(exchange, symbol, true);
    const before = m.stats?.lastTradeId ?? -1;
    if (chainAfter !== undefined && before < chainAfter) {
      return { written: -2, duplicates: 0, lastTradeId: before };
    }
    if (m.stats && expectedPrev !== undefined && before < expectedPrev) {
      return { written: -1, duplicates: 0, lastTradeId: before };
    }
    let last = before;
    let written = 0;
    let duplicates = 0;
    const fresh: StoredTrade[] = [];
    for (const t of trades) {
      if (t.id <= last) {
        duplicates++;
        continue;
      }
      const stored: StoredTrade = { ...t, exchange, symbol, streamId: this.clock.next() };
      m.trades.push(stored);
      fresh.push(stored);
      last = t.id;
      written++;
    }
    if (written > 0) {
      if (duplicates === 0)
        for (const a of aggregates) m.candles.set(a.bucket, mergeCandle(m.candles.get(a.bucket), a));
      else {
        for (const t of fresh) {
          const bucket = Math.floor(t.ts / 60_000_000) * 60;
          const one = { bucket, o: t.price, h: t.price, l: t.price, c: t.price, v: t.size, n: 1 };
          m.candles.set(bucket, mergeCandle(m.candles.get(bucket), one));
        }
      }
      const first = fresh[0]!;
      const lastT = fresh[fresh.length - 1]!;
      m.stats = {
        exchange,
        symbol,
        count: (m.stats?.count ?? 0) + written,
        firstTs: m.stats?.firstTs ?? first.ts,
        lastTs: lastT.ts,
        lastTradeId: lastT.id,
        ...(m.stats?.candlesFrom !== undefined ? { candlesFrom: m.stats.candlesFrom } : {}),
      };
      this.events.emit('wake');
    }
    return { written, duplicates, lastTradeId: Math.max(before, trades.at(-1)?.id ?? -1) };
  }

  async marketStats(exchange: Exchange, symbol: string): Promise<MarketStats | undefined> {
    const s = this.market(exchange, symbol)?.stats;
    return s ? { ...s } : undefined;
  }

  async addSymbol(exchange: Exchange, symbol: string): Promise<void> {
    let set = this.symbolSets.get(exchange);
    if (!set) {
      set = new Set();
      this.symbolSets.set(exchange, set);
    }
    set.add(symbol);
  }

  async appendBook(
    exchange: Exchange,
    symbol: string,
    entry: BookEntry,
    top: BookTop | undefined,
  ): Promise<void> {
    const m = this.market(exchange, symbol, true);
    m.book.push({ ...entry, streamId: this.clock.next() });
    m.top = top;
    this.events.emit('wake');
  }

  async recordGap(
    exchange: Exchange,
    symbol: string,
    fromTradeId: number,
    toTradeId: number,
    reason: string,
  ): Promise<void> {
    this.market(exchange, symbol, true).gaps.push({ fromTradeId, toTradeId, reason });
  }

  async trimCandles(exchange: Exchange, symbol: string, beforeBucket: number): Promise<number> {
    const m = this.market(exchange, symbol);
    if (!m?.stats) return 0;
    let deleted = 0;
    for (const bucket of m.candles.keys()) {
      if (bucket < beforeBucket) {
        m.candles.delete(bucket);
        deleted++;
      }
    }
    if (beforeBucket > (m.stats.candlesFrom ?? Number.NEGATIVE_INFINITY)) m.stats.candlesFrom = beforeBucket;
    return deleted;
  }

  async publishSignal(symbol: string, fields: Record<string, string>): Promise<void> {
    this.signalLog.push({ id: this.clock.next(), symbol, fields });
    if (this.signalLog.length > 10_000) this.signalLog.shift();
  }

  async reportCollectors(reports: readonly CollectorReport[]): Promise<void> {
    for (const r of reports) this.collectorHealth.set(`${r.exchange}@${r.owner}`, { ...r });
  }

  // ---- reader side ----

  async latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    const ring = this.market(exchange, symbol)?.trades;
    if (!ring) return [];
    return ring.slice(Math.max(0, ring.length - limit), ring.length);
  }

  async tradesAfter(
    exchange: Exchange,
    symbol: string,
    afterStreamId: string,
    limit: number,
  ): Promise<StoredTrade[]> {
    const ring = this.market(exchange, symbol)?.trades;
    return ring ? after(ring, afterStreamId, limit) : [];
  }

  async tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]> {
    const ring = this.market(exchange, symbol)?.trades;
    if (!ring) return [];
    // Trades are held in trade-id order, which is event-time order: binary search.
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring.at(mid)!.ts < startUs) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredTrade[] = [];
    for (let i = lo; i < ring.length && out.length < limit; i++) {
      const t = ring.at(i)!;
      if (t.ts > endUs) break;
      out.push(t);
    }
    return out;
  }

  async oldestTradeTs(exchange: Exchange, symbol: string): Promise<number | undefined> {
    const ring = this.market(exchange, symbol)?.trades;
    return ring && ring.length > 0 ? ring.at(0)!.ts : undefined;
  }

  async candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]> {
    const m = this.market(exchange, symbol);
    if (!m) return [];
    const out: Candle[] = [];
    for (const c of m.candles.values())
      if (c.bucket >= fromBucket && c.bucket <= toBucket) out.push({ ...c });
    return out.sort((a, b) => a.bucket - b.bucket);
  }

  async symbols(exchange: Exchange): Promise<string[]> {
    return [...(this.symbolSets.get(exchange) ?? [])].sort();
  }

  async allStats(exchanges: readonly Exchange[]): Promise<MarketStats[]> {
    const out: MarketStats[] = [];
    for (const ex of exchanges) {
      for (const s of await this.symbols(ex)) {
        const st = this.market(ex, s)?.stats;
        if (st) out.push({ ...st });
      }
    }
    return out;
  }

  async bookTop(exchange: Exchange, symbol: string): Promise<BookTop | undefined> {
    return this.market(exchange, symbol)?.top;
  }

  async collectorReports(): Promise<CollectorReport[]> {
    return [...this.collectorHealth.values()].map((r) => ({ ...r }));
  }

  async signals(symbol: string, limit: number) {
    return this.signalLog
      .filter((s) => s.symbol === symbol)
      .slice(-limit)
      .map(({ id, fields }) => ({ id, fields: { ...fields } }));
  }

  async gaps(exchange: Exchange, symbol: string) {
    return [...(this.market(exchange, symbol)?.gaps ?? [])];
  }

  private collect(cursors: readonly StreamCursor[], count: number): StreamItem[] {
    const out: StreamItem[] = [];
    for (const c of cursors) {
      const m = this.market(c.exchange, c.symbol);
      if (!m) continue;
      if (c.stream === 'trades') {
        for (const entry of after(m.trades, c.afterId, count))
          out.push({ stream: 'trades', exchange: c.exchange, symbol: c.symbol, entry });
      } else {
        for (const entry of after(m.book, c.afterId, count))
          out.push({ stream: 'book', exchange: c.exchange, symbol: c.symbol, entry });
      }
    }
    return out;
  }

  async readStreams(cursors: readonly StreamCursor[], count: number, blockMs: number): Promise<StreamItem[]> {
    const resolved = cursors.map((c) =>
      c.afterId === '$' ? { ...c, afterId: this.lastIdSync(c.stream, c.exchange, c.symbol) } : c,
    );
    const now = this.collect(resolved, count);
    if (now.length > 0 || blockMs <= 0) return now;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('wake', onWake);
        resolve(this.collect(resolved, count));
      };
      const onWake = () => {
        if (this.collect(resolved, 1).length > 0) done();
      };
      const timer = setTimeout(done, blockMs);
      this.events.on('wake', onWake);
    });
  }

  private lastIdSync(stream: StreamName, exchange: Exchange, symbol: string): string {
    const m = this.market(exchange, symbol);
    const ring = stream === 'trades' ? m?.trades : m?.book;
    return ring && ring.length > 0 ? ring.at(ring.length - 1)!.streamId : '0-0';
  }

  async lastStreamId(stream: StreamName, exchange: Exchange, symbol: string): Promise<string> {
    return this.lastIdSync(stream, exchange, symbol);
  }
}

/** Entries with stream id strictly greater than `afterId`, at most `count` (binary search). */
function after<T extends { streamId: string }>(ring: Ring<T>, afterId: string, count: number): T[] {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStreamIds(ring.at(mid)!.streamId, afterId) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return ring.slice(lo, Math.min(ring.length, lo + count));
}
