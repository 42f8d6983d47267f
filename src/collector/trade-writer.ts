/**
 * Writes released trades to the store. Per market, a batch leaves as soon as the last one
 * was acknowledged, with everything that arrived meanwhile coalesced into it (up to
 * BUFFER_SIZE); only when a full batch is waiting do more go out behind the one in flight,
 * up to MAX_IN_FLIGHT (pipelined: Redis works on the next batch while the collector reads
 * and parses, instead of each waiting for the other). With BATCH_TIMEOUT_MS = 0 a batch
 * leaves on every event-loop turn; all markets' batches of a turn go out together (the
 * Redis client pipelines them into one write).
 *
 * Results are handled in send order. A pipelined batch names the last id of the batch
 * before it (`chainAfter`) and the store refuses it unless that one is stored, so nothing
 * overtakes a failed batch. Any failure "breaks" the pipeline: the rest in flight are
 * let finish, then everything from the first unacknowledged trade is sent again (after a
 * backoff for errors, after the re-fill when the store lost data). Ingest is idempotent,
 * so whatever did get written comes back as duplicates and nothing is written twice.
 */

import type { Logger } from '../core/logger.js';
import { nowUs } from '../core/time.js';
import type { Exchange, Trade } from '../core/types.js';
import type { Metrics } from '../metrics/registry.js';
import { aggregateByMinute } from '../store/aggregate.js';
import type { IngestResult, Store } from '../store/store.js';

/** Batches per market sent and not yet acknowledged, at most (only under backlog). */
export const MAX_IN_FLIGHT = 4;

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

/** One batch sent to the store; its outcome is handled once every earlier one's was. */
interface Flight {
  batch: Trade[];
  /** Set when the store answered (undefined while in flight). */
  outcome: { result: IngestResult } | { error: unknown } | undefined;
}

export class MarketQueue {
  /** Acknowledged slots (before `head`) are cleared to undefined until the next compaction. */
  pending: (Trade | undefined)[] = [];
  /** First trade not acknowledged. */
  head = 0;
  /** First trade not sent (head <= sent <= pending.length). */
  sent = 0;
  /** Sent batches, oldest first. */
  readonly flights: Flight[] = [];
  /** A batch failed: no more are sent until those in flight are done, then from `head` again. */
  broken = false;
  /** After an error the next attempt is a single batch, not a pipeline into a dead store. */
  probing = false;
  brokenBy: { error: unknown } | { storedLast: number; firstPending: number } | undefined;
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

  /** Trades not yet sent. */
  get unsent(): number {
    return this.pending.length - this.sent;
  }

  /** Batches sent and not yet handled. */
  get inFlight(): number {
    return this.flights.length;
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
    if (q.blocked) return;
    const flights = q.flights.length;
    if (flights > 0) {
      // Coalesce behind the batch in flight; pipeline only once a full batch waits.
      if (flights < MAX_IN_FLIGHT && q.unsent >= this.o.bufferSize) this.schedule();
      return;
    }
    if (this.o.batchTimeoutMs > 0 && q.unsent < this.o.bufferSize) {
      this.startBatchTimer(q);
      return;
    }
    this.schedule();
  }

  /** Puts trades back in front of a market's queue (re-fill after the store lost data). */
  private prepend(q: MarketQueue, trades: Trade[]): void {
    q.pending = [...trades, ...q.pending.slice(q.head)];
    q.head = 0;
    q.sent = 0;
    this.pendingTotal += trades.length;
  }

  private startBatchTimer(q: MarketQueue): void {
    q.timer ??= setTimeout(() => {
      q.timer = undefined;
      this.flushMarket(q);
    }, this.o.batchTimeoutMs);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const q of this.queues) this.flushMarket(q);
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

  /** Sends what may go now: a batch when none is in flight, more only while full ones wait. */
  private flushMarket(q: MarketQueue): void {
    if (q.blocked || q.broken || q.retryTimer) return;
    const limit = q.probing ? 1 : MAX_IN_FLIGHT;
    while (q.flights.length < limit && q.unsent > 0) {
      if (q.flights.length > 0 && q.unsent < this.o.bufferSize) return;
      if (q.timer) {
        clearTimeout(q.timer);
        q.timer = undefined;
      }
      this.send(q);
    }
  }

  private send(q: MarketQueue): void {
    const end = Math.min(q.pending.length, q.sent + this.o.bufferSize);
    // Slots from `sent` on are never cleared (only acknowledged ones before `head` are).
    const batch = q.pending.slice(q.sent, end) as Trade[];
    q.sent = end;
    const prev = q.flights.at(-1);
    const flight: Flight = { batch, outcome: undefined };
    q.flights.push(flight);
    this.o.store
      .ingestTrades(
        q.exchange,
        q.symbol,
        batch,
        aggregateByMinute(batch),
        prev || q.lastWrittenId < 0 ? undefined : q.lastWrittenId,
        prev ? prev.batch[prev.batch.length - 1]!.id : undefined,
      )
      .then(
        (result) => {
          flight.outcome = { result };
          this.settle(q);
        },
        (error: unknown) => {
          flight.outcome = { error };
          this.settle(q);
        },
      );
  }

  /** Handles finished batches in send order. */
  private settle(q: MarketQueue): void {
    let acked = false;
    while (q.flights.length > 0 && q.flights[0]!.outcome) {
      const f = q.flights.shift()!;
      const outcome = f.outcome!;
      if ('error' in outcome) {
        q.broken = true;
        q.brokenBy ??= { error: outcome.error ?? new Error('write failed') };
        continue;
      }
      const r = outcome.result;
      // After a break everything from `head` is sent again, this batch included.
      if (q.broken) continue;
      if (r.written === -2) {
        q.broken = true;
        continue;
      }
      if (r.written < 0) {
        q.broken = true;
        q.brokenBy = { storedLast: r.lastTradeId, firstPending: f.batch[0]!.id };
        continue;
      }
      this.applyAck(q, f.batch, r);
      acked = true;
    }
    if (q.broken) {
      if (q.flights.length === 0) this.restart(q);
      return;
    }
    if (acked) {
      q.retryDelay = 50;
      q.probing = false;
      this.o.onPendingChange?.();
    }
    if (q.unsent === 0) return;
    if (
      q.flights.length === 0 &&
      this.o.batchTimeoutMs > 0 &&
      q.unsent < this.o.bufferSize &&
      !this.stopped
    ) {
      this.startBatchTimer(q);
    } else this.flushMarket(q);
  }

  private applyAck(q: MarketQueue, batch: Trade[], r: IngestResult): void {
    if (q.lastWrittenId >= 0 && r.lastTradeId < 0) {
      this.o.log.error(
        { exchange: q.exchange, symbol: q.symbol, last_written: q.lastWrittenId },
        'the store has no state for this market any more (restarted without persistence?); continuing from here',
      );
    }
    this.acknowledge(q, batch, r.written, r.duplicates, nowUs());
    q.lastWrittenId = Math.max(q.lastWrittenId, r.lastTradeId);
    const pending = q.pending;
    const end = q.head + batch.length;
    // Drop written trades now: referenced until the queue is compacted (up to 4096 later),
    // they would outlive young-generation collections and be copied or promoted.
    for (let i = q.head; i < end; i++) pending[i] = undefined;
    q.head = end;
    this.pendingTotal -= batch.length;
    if (q.head === q.pending.length) {
      q.pending = [];
      q.head = 0;
      q.sent = 0;
    } else if (q.head >= 4096) {
      q.pending = q.pending.slice(q.head);
      q.sent -= q.head;
      q.head = 0;
    }
  }

  /** The pipeline broke and nothing is in flight any more: start again from `head`. */
  private restart(q: MarketQueue): void {
    const cause = q.brokenBy;
    q.broken = false;
    q.brokenBy = undefined;
    q.sent = q.head;
    if (cause && 'storedLast' in cause) {
      this.storeBehind(q, cause.storedLast, cause.firstPending);
      return;
    }
    if (cause) {
      const delay = q.retryDelay;
      q.retryDelay = Math.min(q.retryDelay * 2, 2000);
      q.probing = true;
      this.o.log.debug(
        { exchange: q.exchange, symbol: q.symbol, err: (cause.error as Error).message, retry_ms: delay },
        'write failed; will retry',
      );
      q.retryTimer = setTimeout(() => {
        q.retryTimer = undefined;
        this.flushMarket(q);
      }, delay);
      return;
    }
    // Only refusals of batches that overtook an unstored one: send them again now.
    this.flushMarket(q);
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
      for (const q of this.queues) this.flushMarket(q);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.pendingTotal;
  }
}
