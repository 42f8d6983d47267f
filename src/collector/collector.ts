/**
 * The collector: for every owned market, exchange WebSocket -> adapter -> sequencer ->
 * writer -> store, plus the order books. Flow control: when more trades wait for the
 * store than it can take, every socket is paused (TCP backpressure) until it catches up.
 */

import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Exchange, MarketId, Trade } from '../core/types.js';
import { createAdapter } from '../exchanges/registry.js';
import type { Metrics } from '../metrics/registry.js';
import type { CollectorReport, Store } from '../store/store.js';
import { BookSync } from './book-sync.js';
import { CandleRetention } from './candle-retention.js';
import { CrossMarketWatcher } from './cross-market.js';
import { ExchangeFeed } from './exchange-feed.js';
import { marketsFor } from './markets.js';
import { Sequencer } from './sequencer.js';
import { MAX_IN_FLIGHT, TradeWriter } from './trade-writer.js';

export interface CollectorOptions {
  config: Config;
  store: Store;
  metrics: Metrics;
  log: Logger;
  /** Every acknowledged batch (benchmarks measure end-to-end latency here). */
  onWritten?:
    | ((exchange: Exchange, symbol: string, trades: readonly Trade[], ackUs: number) => void)
    | undefined;
  onBackfillProgress?:
    | ((exchange: Exchange, symbol: string, fetched: number, missing: number) => void)
    | undefined;
}

export interface ExchangeHealth {
  connected: boolean;
  last_message_age_ms: number | null;
}

/**
 * Pause reading above this many waiting trades while the store answers (at least
 * MAX_IN_FLIGHT full batches, so a backlog can still fill the write pipeline). Past a few
 * batches, trades are better waiting in the socket than in the heap, where every
 * young-generation collection copies them (at 50,000 the collector spent more time in GC
 * and sustained ~10 % less).
 */
const FLOW_HIGH_WATER = 16_000;
/** Heap use (share of the V8 limit) that pauses reading, and the one that resumes it. */
const HEAP_PAUSE = 0.85;
const HEAP_RESUME = 0.7;

export class Collector {
  readonly writer: TradeWriter;
  readonly feeds: ExchangeFeed[] = [];
  readonly sequencers = new Map<string, Sequencer>();
  readonly books = new Map<string, BookSync>();
  readonly markets: MarketId[];
  private readonly cross: CrossMarketWatcher;
  readonly candleRetention: CandleRetention;
  private paused = false;
  private overflowed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private stopping = false;
  private readonly abort = new AbortController();
  private ticks = 0;
  private heldCache = 0;
  private heapTight = false;
  /** Identifies this process in the published collector reports. */
  readonly owner: string;

  constructor(private readonly o: CollectorOptions) {
    const c = o.config;
    this.markets = marketsFor(c.EXCHANGES, c.SYMBOLS, c.SHARD);
    this.writer = new TradeWriter({
      store: o.store,
      bufferSize: c.BUFFER_SIZE,
      batchTimeoutMs: c.BATCH_TIMEOUT_MS,
      metrics: o.metrics,
      log: o.log,
      onWritten: o.onWritten,
      onPendingChange: () => this.checkFlow(),
    });
    this.cross = new CrossMarketWatcher(o.store, c.SIGNAL_THRESHOLD_BPS, o.log);
    this.candleRetention = new CandleRetention({
      store: o.store,
      markets: this.markets,
      days: c.CANDLE_RETENTION_DAYS,
      log: o.log,
    });
    this.owner = `${hostname()}-${process.pid}${c.SHARD.count > 1 ? `-shard${c.SHARD.index}of${c.SHARD.count}` : ''}`;
    for (const exchange of c.EXCHANGES) {
      const symbols = this.markets.filter((m) => m.exchange === exchange).map((m) => m.symbol);
      if (symbols.length > 0) this.feeds.push(this.createFeed(exchange, symbols));
    }
  }

  private createFeed(exchange: Exchange, symbols: string[]): ExchangeFeed {
    const c = this.o.config;
    const adapter = createAdapter(exchange, symbols);
    const sequencers = new Map<string, Sequencer>();
    const books = new Map<string, BookSync>();
    const rest = {
      baseUrl: exchange === 'coinbase' ? c.COINBASE_REST_URL : c.KRAKEN_REST_URL,
      requestsPerSecond: exchange === 'coinbase' ? c.COINBASE_REST_RPS : c.KRAKEN_REST_RPS,
      signal: this.abort.signal,
    };
    let feed: ExchangeFeed | undefined;
    for (const symbol of symbols) {
      const seq = new Sequencer({
        exchange,
        symbol,
        adapter,
        rest,
        store: this.o.store,
        writer: this.writer,
        metrics: this.o.metrics,
        log: this.o.log,
        onBackfillProgress: this.o.onBackfillProgress,
      });
      sequencers.set(symbol, seq);
      this.sequencers.set(`${exchange}:${symbol}`, seq);
      if (c.BOOK_DEPTH > 0) {
        const book = new BookSync({
          exchange,
          symbol,
          depth: c.BOOK_DEPTH,
          adapter,
          truncate: exchange === 'kraken',
          store: this.o.store,
          metrics: this.o.metrics,
          log: this.o.log,
          requestResync: () => feed?.resyncBook(symbol),
          onTop: (ex, sym, top) => this.cross.update(ex, sym, top),
        });
        books.set(symbol, book);
        this.books.set(`${exchange}:${symbol}`, book);
      }
    }
    feed = new ExchangeFeed({
      exchange,
      symbols,
      adapter,
      wsUrl: exchange === 'coinbase' ? c.COINBASE_WS_URL : c.KRAKEN_WS_URL,
      compression: c.WS_COMPRESSION,
      staleTimeoutMs: c.STALE_TIMEOUT_MS,
      subscribe: { bookDepth: c.BOOK_DEPTH },
      sequencers,
      books,
      metrics: this.o.metrics,
      log: this.o.log,
      afterTrades: () => this.checkFlow(),
    });
    return feed;
  }

  async start(): Promise<void> {
    const c = this.o.config;
    this.o.log.info(
      {
        markets: this.markets.map((m) => `${m.exchange}:${m.symbol}`),
        store: this.o.store.kind,
        book_depth: c.BOOK_DEPTH,
        buffer_size: c.BUFFER_SIZE,
        batch_timeout_ms: c.BATCH_TIMEOUT_MS,
        shard: `${c.SHARD.index}/${c.SHARD.count}`,
        candle_retention_days: c.CANDLE_RETENTION_DAYS || 'all',
      },
      'collector starting',
    );
    for (const s of this.sequencers.values()) void s.init();
    for (const f of this.feeds) f.start();
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
    this.candleRetention.start();
  }

  private checkFlow(): void {
    const pending = this.writer.pending + this.heldCache;
    const storeUp = this.o.store.healthy;
    const max = this.o.config.MAX_PENDING;
    const high = storeUp
      ? Math.min(max, Math.max(FLOW_HIGH_WATER, MAX_IN_FLIGHT * this.o.config.BUFFER_SIZE))
      : max;
    if (!this.paused) {
      if (pending < high && !this.heapTight) return;
      this.paused = true;
      if ((pending >= max || this.heapTight) && !this.overflowed) {
        this.overflowed = true;
        this.o.metrics.bufferOverflows.labels('pending').inc();
        this.o.log.warn(
          { pending, max_pending: max, heap_tight: this.heapTight },
          'buffer full (MAX_PENDING or the heap limit): pausing exchange reads until the store catches up',
        );
      }
      for (const f of this.feeds) f.connection.pause();
    } else if (pending < high / 2 && !this.heapTight) {
      this.paused = false;
      this.overflowed = false;
      for (const f of this.feeds) f.connection.resume();
    }
  }

  /**
   * Memory-bounded flow control: near the V8 heap limit (e.g. a small --max-old-space-size)
   * reading pauses before MAX_PENDING, and resumes once garbage collection made room.
   */
  private updateHeapPressure(): void {
    const h = getHeapStatistics();
    const used = h.used_heap_size / h.heap_size_limit;
    this.heapTight = this.heapTight ? used > HEAP_RESUME : used > HEAP_PAUSE;
  }

  private tick(): void {
    const m = this.o.metrics;
    let held = 0;
    for (const s of this.sequencers.values()) held += s.heldCount;
    m.bufferSize.labels('pending').set(this.writer.pending);
    m.bufferSize.labels('held').set(held);
    this.heldCache = held;
    this.updateHeapPressure();
    const now = Date.now();
    for (const f of this.feeds) {
      f.flushCounts();
      for (const [symbol, at] of f.lastMarketMessageAt) {
        m.lastMessageAge.labels(f.exchange, symbol).set((now - at) / 1000);
      }
      // A Coinbase book that stopped moving while the feed is alive is stale.
      if (f.exchange === 'coinbase' && f.connection.connected) {
        for (const [key, b] of this.books) {
          if (key.startsWith('coinbase:') && b.isLive && now - b.lastMessageAt > 60_000)
            b.resync('stale book');
        }
      }
    }
    if (this.o.store.healthy && this.writer.pending > 0) this.writer.kick();
    this.checkFlow();
    // Once a second: tell API-only processes how the feeds are doing.
    if (++this.ticks % 4 === 0 && this.o.store.healthy) {
      void this.o.store.reportCollectors(this.reports()).catch(() => undefined);
    }
  }

  /** This process's feeds as collector reports. */
  reports(): CollectorReport[] {
    const now = Date.now();
    return this.feeds.map((f) => ({
      exchange: f.exchange,
      owner: this.owner,
      connected: f.connection.connected,
      lastMessageAt: f.lastFrameAt > 0 ? f.lastFrameAt : null,
      staleLimitMs: this.o.config.STALE_TIMEOUT_MS,
      updatedAt: now,
    }));
  }

  health(): Record<string, ExchangeHealth> {
    const out: Record<string, ExchangeHealth> = {};
    const now = Date.now();
    for (const f of this.feeds) {
      out[f.exchange] = {
        connected: f.connection.connected,
        last_message_age_ms: f.lastFrameAt > 0 ? now - f.lastFrameAt : null,
      };
    }
    return out;
  }

  /** Every configured collector connected and heard from within its stale limit. */
  isHealthy(): boolean {
    const limit = this.o.config.STALE_TIMEOUT_MS;
    return Object.values(this.health()).every(
      (h) => h.connected && h.last_message_age_ms !== null && h.last_message_age_ms <= limit,
    );
  }

  get uptimeMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Stops reading, flushes every released trade and queued book write, within the deadline. */
  async stop(deadlineMs = Date.now() + 4000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    this.candleRetention.stop();
    for (const f of this.feeds) f.flushCounts();
    for (const s of this.sequencers.values()) s.stop();
    for (const b of this.books.values()) b.stop();
    this.abort.abort();
    await Promise.all(this.feeds.map((f) => f.stop()));
    const left = await this.writer.drain(deadlineMs);
    await Promise.race([
      Promise.all([...this.books.values()].map((b) => b.flush())),
      new Promise((r) => setTimeout(r, Math.max(0, deadlineMs - Date.now()))),
    ]);
    if (left > 0)
      this.o.log.error(
        { unwritten: left },
        'shutdown deadline reached with trades not written (they will be back-filled on restart)',
      );
    else this.o.log.info('all received trades written');
  }
}
