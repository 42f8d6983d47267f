/**
 * Writes released trades to the store: per market, one batch in flight at a time and
 * everything that arrives meanwhile coalesced into the next batch (up to BUFFER_SIZE).
 * With BATCH_TIMEOUT_MS = 0 a batch leaves on every event-loop turn; all markets' batches
 * of a turn go out together (the Redis client pipelines them into one write). A failed
 * batch stays at the head of its queue and is retried; ingest is idempotent, so a retry
 * after a lost reply writes nothing twice.
 */

import type { Logger } from '../core/logger.js';
import { nowUs } from '../core/time.js';
import type { Exchange, Trade } from '../core/types.js';
import type { Metrics } from '../metrics/registry.js';
import { aggregateByMinute } from '../store/aggregate.js';
import type { Store } from '../store/store.js';

export interface WriterOptions {
  store: Store;
  bufferSize: number;
  batchTimeoutMs: number;
  metrics: Metrics;
  log: Logger;
  /** Called after every acknowledged batch with the trades written (benchmarks, stream fan-out). */
  onWritten?:
    | ((exchange: Exchange, symbol: string, trades: readonly Trade[], ackUs: number) => void)
    | undefined;
  /** Pending count changed across a flow-control threshold check. */
  onPendingChange?: (() => void) | undefined;
}

/** Asked when the store holds less than was acknowledged: returns the trades to re-write first. */
export type RefillFn = (storedLastId: number, beforeId: number) => Promise<Trade[]>;

export class MarketQueue {
  pending: Trade[] = [];
  head = 0;
  inFlight = false;
  /** Highest trade id the store acknowledged (-1 = none known). */
  lastWrittenId = -1;
  blocked = false;
  retryTimer: NodeJS.Timeout | undefined;
  retryDelay = 50;
  refill: RefillFn | undefined;
  timer: NodeJS.Timeout | undefined;
  private readonly labels: { exchange: Exchange; symbol: string };

  constructor(
    readonly exchange: Exchange,
    readonly symbol: string,
    metrics: Metrics,
  ) {
    this.labels = { exchange, symbol };
    this.processed = metrics.tradesProcessed.labels(this.labels);
    this.duplicates = metrics.tradesDuplicate.labels(this.labels);
    this.latency = metrics.processingLatency.labels(exchange);
  }

  readonly processed;
  readonly duplicates;
  readonly latency;

  get size(): number {
    return this.pending.length - this.head;
  }
}

export class TradeWriter {
  private readonly queues: MarketQueue[] = [];
  private scheduled = false;
  private pendingTotal = 0;
  private stopped = false;

  constructor(private readonly o: WriterOptions) {}

  market(exchange: Exchange, symbol: string): MarketQueue {
    let q = this.queues.find((x) => x.exchange === exchange && x.symbol === symbol);
    if (!q) {
      q = new MarketQueue(exchange, symbol, this.o.metrics);
      this.queues.push(q);
    }
    return q;
  }

  /** Trades waiting for an acknowledgement, all markets. */
  get pending(): number {
    return this.pendingTotal;
  }

  /** Hot path: append one released trade. */
  enqueue(q: MarketQueue, t: Trade): void {
    q.pending.push(t);
    this.pendingTotal++;
    if (q.inFlight || q.blocked) return;
    if (this.o.batchTimeoutMs > 0 && q.size < this.o.bufferSize) {
      q.timer ??= setTimeout(() => {
        q.timer = undefined;
        this.flushMarket(q);
      }, this.o.batchTimeoutMs);
      return;
    }
    this.schedule();
  }

  /** Puts trades back in front of a market's queue (re-fill after the store lost data). */
  private prepend(q: MarketQueue, trades: Trade[]): void {
    q.pending = [...trades, ...q.pending.slice(q.head)];
    q.head = 0;
    this.pendingTotal += trades.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const q of this.queues) if (!q.inFlight && !q.blocked && q.size > 0) this.flushMarket(q);
    });
  }

  /** Re-tries every market with pending trades (called when the store comes back). */
  kick(): void {
    for (const q of this.queues) {
      if (q.retryTimer) {
        clearTimeout(q.retryTimer);
        q.retryTimer = undefined;
        q.retryDelay = 50;
      }
    }
    this.schedule();
  }

  private flushMarket(q: MarketQueue): void {
    if (q.inFlight || q.blocked || q.size === 0 || q.retryTimer) return;
    if (q.timer) {
      clearTimeout(q.timer);
      q.timer = undefined;
    }
    const end = Math.min(q.pending.length, q.head + this.o.bufferSize);
    const batch = q.pending.slice(q.head, end);
    q.inFlight = true;
    this.o.store
      .ingestTrades(
        q.exchange,
        q.symbol,
        batch,
        aggregateByMinute(batch),
        q.lastWrittenId >= 0 ? q.lastWrittenId : undefined,
      )
      .then(
        (r) => {
          q.inFlight = false;
          q.retryDelay = 50;
          if (r.written < 0) {
            this.storeBehind(q, r.lastTradeId, batch[0]!.id);
            return;
          }
          if (q.lastWrittenId >= 0 && r.lastTradeId < 0) {
            this.o.log.error(
              { exchange: q.exchange, symbol: q.symbol, last_written: q.lastWrittenId },
              'the store has no state for this market any more (restarted without persistence?); continuing from here',
            );
          }
          const ackUs = nowUs();
          this.acknowledge(q, batch, r.written, r.duplicates, ackUs);
          q.lastWrittenId = Math.max(q.lastWrittenId, r.lastTradeId);
          q.head = end;
          this.pendingTotal -= batch.length;
          // Drop written trades now: kept referenced, they would survive into the old
          // generation and make major GCs (the latency tail) bigger.
          if (q.head === q.pending.length) {
            q.pending = [];
            q.head = 0;
          } else if (q.head >= 4096) {
            q.pending = q.pending.slice(q.head);
            q.head = 0;
          }
          this.o.onPendingChange?.();
          if (q.size > 0) {
            if (this.o.batchTimeoutMs > 0 && q.size < this.o.bufferSize && !this.stopped) {
              q.timer ??= setTimeout(() => {
                q.timer = undefined;
                this.flushMarket(q);
              }, this.o.batchTimeoutMs);
            } else this.flushMarket(q);
          }
        },
        (err: unknown) => {
          q.inFlight = false;
          const delay = q.retryDelay;
          q.retryDelay = Math.min(q.retryDelay * 2, 2000);
          this.o.log.debug(
            { exchange: q.exchange, symbol: q.symbol, err: (err as Error).message, retry_ms: delay },
            'write failed; will retry',
          );
          q.retryTimer = setTimeout(() => {
            q.retryTimer = undefined;
            this.flushMarket(q);
          }, delay);
        },
      );
  }

  private acknowledge(
    q: MarketQueue,
    batch: Trade[],
    written: number,
    duplicates: number,
    ackUs: number,
  ): void {
    if (duplicates > 0) q.duplicates.inc(duplicates);
    if (written === 0) return;
    q.processed.inc(written);
    if (duplicates === 0) {
      for (const t of batch) q.latency.observe((ackUs - t.recvTs) / 1000);
      this.o.onWritten?.(q.exchange, q.symbol, batch, ackUs);
    } else {
      // Only the tail past the stored last id was new (the batch is ascending).
      const fresh = batch.slice(batch.length - written);
      for (const t of fresh) q.latency.observe((ackUs - t.recvTs) / 1000);
      this.o.onWritten?.(q.exchange, q.symbol, fresh, ackUs);
    }
  }

  private storeBehind(q: MarketQueue, storedLast: number, firstPending: number): void {
    this.o.log.error(
      { exchange: q.exchange, symbol: q.symbol, stored_last: storedLast, acknowledged_last: q.lastWrittenId },
      'the store lost acknowledged trades (restart without full persistence?); re-filling them from the exchange',
    );
    q.blocked = true;
    const refill = q.refill;
    const done = (trades: Trade[]) => {
      this.prepend(
        q,
        trades.filter((t) => t.id > storedLast && t.id < firstPending),
      );
      q.lastWrittenId = storedLast;
      q.blocked = false;
      this.flushMarket(q);
    };
    if (!refill) {
      done([]);
      return;
    }
    refill(storedLast, firstPending).then(done, (err: unknown) => {
      this.o.log.error(
        { exchange: q.exchange, symbol: q.symbol, err: (err as Error).message },
        're-fill failed; continuing',
      );
      done([]);
    });
  }

  /** Writes everything pending, giving up at the deadline. Returns what is left. */
  async drain(deadlineMs: number): Promise<number> {
    this.stopped = true;
    for (const q of this.queues) {
      if (q.timer) {
        clearTimeout(q.timer);
        q.timer = undefined;
      }
    }
    this.kick();
    while (this.pendingTotal > 0 && Date.now() < deadlineMs) {
      for (const q of this.queues) if (!q.inFlight && !q.blocked && q.size > 0) this.flushMarket(q);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.pendingTotal;
  }
}
