/**
 * Keeps one market's order book right, or says it is not. Kraken books are truncated to
 * the subscribed depth and checksum-verified after every message; any book that is
 * crossed (best bid >= best ask) is corrupt even when its checksum passes. On doubt the
 * market alone is resynced: a `book_reset` entry tells consumers to drop their copy, the
 * output is held back until a fresh snapshot arrives, and only that market's book is
 * resubscribed.
 *
 * Output (`book:{ex:SYM}`): the top BOOK_DEPTH levels; a snapshot, then updates that keep
 * a consumer's top-N copy exact (a level leaving the top N is sent with size 0, a level
 * sliding in is sent with its size).
 */

import { type Level, OrderBook } from '../book/order-book.js';
import { canonicalDecimal } from '../core/decimal.js';
import type { Logger } from '../core/logger.js';
import type { BookMessage, Exchange, LevelText } from '../core/types.js';
import type { ExchangeAdapter } from '../exchanges/adapter.js';
import type { Metrics } from '../metrics/registry.js';
import type { BookEntry, BookTop, Store } from '../store/store.js';

export interface BookSyncOptions {
  exchange: Exchange;
  symbol: string;
  depth: number;
  adapter: ExchangeAdapter;
  /** Truncate to `depth` after every message (Kraken's rule). */
  truncate: boolean;
  store: Store;
  metrics: Metrics;
  log: Logger;
  requestResync: () => void;
  /** Called after every applied change with the new best levels (cross-exchange signals). */
  onTop?: ((exchange: Exchange, symbol: string, top: BookTop | undefined) => void) | undefined;
}

const MAX_QUEUED_WRITES = 1000;
const MIN_RESYNC_INTERVAL_MS = 250;

export class BookSync {
  readonly book = new OrderBook();
  private live = false;
  private seq = 0;
  private lastBids: Level[] = [];
  private lastAsks: Level[] = [];
  private writes: Promise<void> = Promise.resolve();
  private queuedWrites = 0;
  private needSnapshot = false;
  private lastResyncAt = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  lastMessageAt = 0;
  private readonly labels;

  constructor(private readonly o: BookSyncOptions) {
    this.labels = { exchange: o.exchange, symbol: o.symbol };
  }

  get isLive(): boolean {
    return this.live;
  }

  onMessage(m: BookMessage): void {
    this.lastMessageAt = Date.now();
    if (m.kind === 'snapshot') this.book.reset(m.bids, m.asks);
    else {
      if (!this.live) return; // held back until a snapshot lines up again
      this.book.apply(m.bids, m.asks);
    }
    if (this.o.truncate) this.book.truncate(this.o.depth);
    if (
      m.checksum !== undefined &&
      this.o.adapter.verifyChecksum &&
      !this.o.adapter.verifyChecksum(this.book, m.checksum)
    ) {
      this.o.metrics.bookChecksumFailures.labels(this.labels).inc();
      this.resync(`checksum mismatch (${m.kind})`);
      return;
    }
    if (this.book.isCrossed()) {
      this.resync(`crossed book (${m.kind})`);
      return;
    }
    const wasLive = this.live;
    this.live = true;
    if (m.kind === 'snapshot' || !wasLive || this.needSnapshot) this.emitSnapshot(m.ts);
    else this.emitDiff(m.ts);
  }

  /** A message for this market could not be applied. */
  broken(reason: string): void {
    if (this.live) this.resync(reason);
  }

  /** The connection dropped: the book is unknown until the next snapshot. */
  disconnected(): void {
    if (!this.live) return;
    this.live = false;
    this.book.clear();
    this.emit({ type: 'book_reset', bids: [], asks: [], seq: ++this.seq, ts: Date.now() * 1000 }, undefined);
  }

  /** Asks for a fresh snapshot of this market only. */
  resync(reason: string): void {
    this.o.metrics.bookResyncs.labels(this.labels).inc();
    this.o.log.warn({ exchange: this.o.exchange, symbol: this.o.symbol, reason }, 'order book resync');
    const wasLive = this.live;
    this.live = false;
    this.book.clear();
    if (wasLive || this.lastBids.length + this.lastAsks.length > 0) {
      this.emit(
        { type: 'book_reset', bids: [], asks: [], seq: ++this.seq, ts: Date.now() * 1000 },
        undefined,
      );
    }
    const wait = this.lastResyncAt + MIN_RESYNC_INTERVAL_MS - Date.now();
    if (wait <= 0) this.sendResync();
    else this.resyncTimer ??= setTimeout(() => this.sendResync(), wait);
  }

  private sendResync(): void {
    this.resyncTimer = undefined;
    this.lastResyncAt = Date.now();
    this.o.requestResync();
  }

  private top(): BookTop {
    return {
      exchange: this.o.exchange,
      symbol: this.o.symbol,
      seq: this.seq,
      ts: 0,
      bids: this.lastBids.map(text),
      asks: this.lastAsks.map(text),
    };
  }

  private emitSnapshot(ts: number): void {
    this.needSnapshot = false;
    this.lastBids = this.book.bids.top(this.o.depth);
    this.lastAsks = this.book.asks.top(this.o.depth);
    const entry: BookEntry = {
      type: 'snapshot',
      bids: this.lastBids.map(text),
      asks: this.lastAsks.map(text),
      seq: ++this.seq,
      ts,
    };
    this.emit(entry, { ...this.top(), ts });
  }

  private emitDiff(ts: number): void {
    const bids = this.book.bids.top(this.o.depth);
    const asks = this.book.asks.top(this.o.depth);
    const db = diff(this.lastBids, bids);
    const da = diff(this.lastAsks, asks);
    this.lastBids = bids;
    this.lastAsks = asks;
    if (db.length === 0 && da.length === 0) return;
    this.emit({ type: 'update', bids: db, asks: da, seq: ++this.seq, ts }, { ...this.top(), ts });
  }

  private emit(entry: BookEntry, top: BookTop | undefined): void {
    if (entry.type === 'book_reset') {
      this.lastBids = [];
      this.lastAsks = [];
    }
    this.o.onTop?.(this.o.exchange, this.o.symbol, top);
    if (this.queuedWrites >= MAX_QUEUED_WRITES) {
      // The store is not keeping up: drop updates, and send a full snapshot once it does.
      this.needSnapshot = true;
      return;
    }
    this.queuedWrites++;
    this.writes = this.writes
      .then(() => this.o.store.appendBook(this.o.exchange, this.o.symbol, entry, top))
      .catch(() => {
        this.needSnapshot = true;
      })
      .finally(() => {
        this.queuedWrites--;
      });
  }

  /** Waits for queued book writes (shutdown). */
  flush(): Promise<void> {
    return this.writes;
  }

  stop(): void {
    clearTimeout(this.resyncTimer);
  }
}

function text(l: Level): LevelText {
  return [l.price, l.size];
}

/**
 * Level changes turning view `before` into `after` (both best first): removals first
 * (size "0"), then new or changed levels. Levels are matched by decimal value, not text.
 */
function diff(before: readonly Level[], after: readonly Level[]): LevelText[] {
  const out: LevelText[] = [];
  const prev = new Map<string, Level>();
  for (const l of before) prev.set(canonicalDecimal(l.price), l);
  const now = new Set<string>();
  for (const l of after) now.add(canonicalDecimal(l.price));
  for (const [key, l] of prev) if (!now.has(key)) out.push([l.price, '0']);
  for (const l of after) {
    const p = prev.get(canonicalDecimal(l.price));
    if (!p || p.size !== l.size) out.push([l.price, l.size]);
  }
  return out;
}
