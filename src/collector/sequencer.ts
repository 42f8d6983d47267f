/**
 * Per-market trade sequencer: releases trades to the writer exactly once and in trade-id
 * order. It knows the last id written (read back from the store at start, so it survives
 * kill -9), drops duplicates, and on a gap (an id jump, or a heartbeat announcing trades
 * we never got) holds the live stream, back-fills exactly the missing range over REST and
 * then releases the held trades. A range the exchange no longer serves is recorded in
 * `gaps:{ex:SYM}`, never skipped silently.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import type { Exchange, Trade } from '../core/types.js';
import type { ExchangeAdapter, RestOptions } from '../exchanges/adapter.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../store/store.js';
import type { MarketQueue, TradeWriter } from './trade-writer.js';

export interface SequencerOptions {
  exchange: Exchange;
  symbol: string;
  adapter: ExchangeAdapter;
  rest: Omit<RestOptions, 'onPage'>;
  store: Store;
  writer: TradeWriter;
  metrics: Metrics;
  log: Logger;
  /** Progress of long back-fills (a TTY progress line). */
  onBackfillProgress?:
    | ((exchange: Exchange, symbol: string, fetched: number, missing: number) => void)
    | undefined;
}

type State = 'init' | 'live' | 'backfill';

export class Sequencer {
  private state: State = 'init';
  private lastId: number | undefined;
  private lastTs = 0;
  private held: Trade[] = [];
  private readonly queue: MarketQueue;
  private stopped = false;
  private readonly labels;
  /** Back-fills done so far (tests and health). */
  backfills = 0;

  constructor(private readonly o: SequencerOptions) {
    this.queue = o.writer.market(o.exchange, o.symbol);
    this.queue.refill = (storedLast, beforeId) => this.refill(storedLast, beforeId);
    this.labels = { exchange: o.exchange, symbol: o.symbol };
  }

  get heldCount(): number {
    return this.held.length;
  }

  get lastTradeId(): number | undefined {
    return this.lastId;
  }

  get isBackfilling(): boolean {
    return this.state === 'backfill';
  }

  /** Reads the last written trade from the store (retrying while it is unreachable), then goes live. */
  async init(): Promise<void> {
    let delay = 100;
    while (!this.stopped) {
      try {
        const stats = await this.o.store.marketStats(this.o.exchange, this.o.symbol);
        await this.o.store.addSymbol(this.o.exchange, this.o.symbol);
        if (stats) {
          this.lastId = stats.lastTradeId;
          this.lastTs = stats.lastTs;
          this.queue.lastWrittenId = stats.lastTradeId;
          this.o.log.info(
            {
              exchange: this.o.exchange,
              symbol: this.o.symbol,
              last_trade_id: stats.lastTradeId,
              count: stats.count,
            },
            'resuming after the last stored trade',
          );
        }
        break;
      } catch (e) {
        this.o.log.warn(
          { exchange: this.o.exchange, symbol: this.o.symbol, err: (e as Error).message, retry_ms: delay },
          'cannot read market state from the store yet; holding trades',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
    this.state = 'live';
    this.drainHeld();
  }

  /** Hot path: one trade from the live feed. */
  push(t: Trade): void {
    if (this.state !== 'live') {
      this.held.push(t);
      return;
    }
    const last = this.lastId;
    if (last === undefined || t.id === last + 1) {
      this.release(t);
      return;
    }
    if (t.id <= last) {
      this.queue.duplicates.inc();
      return;
    }
    this.held.push(t);
    this.startBackfill(t.id, 'trade id jump');
  }

  /** A heartbeat saying the exchange's last trade id for this market is `lastTradeId`. */
  heartbeat(lastTradeId: number): void {
    if (this.state !== 'live' || this.lastId === undefined || lastTradeId <= this.lastId) return;
    this.startBackfill(lastTradeId + 1, 'heartbeat ahead of received trades');
  }

  private release(t: Trade): void {
    this.lastId = t.id;
    this.lastTs = t.ts;
    this.o.writer.enqueue(this.queue, t);
  }

  private startBackfill(beforeId: number, reason: string): void {
    const afterId = this.lastId!;
    this.state = 'backfill';
    this.backfills++;
    this.o.metrics.tradeGaps.labels(this.labels).inc();
    this.o.log.info(
      {
        exchange: this.o.exchange,
        symbol: this.o.symbol,
        after_id: afterId,
        before_id: beforeId,
        missing: beforeId - afterId - 1,
        reason,
      },
      'gap detected; back-filling over REST',
    );
    void this.runBackfill(afterId, beforeId);
  }

  private async runBackfill(afterId: number, beforeId: number): Promise<void> {
    let delay = 1000;
    let recovered = 0;
    while (!this.stopped) {
      try {
        for await (const page of this.o.adapter.backfill(this.o.symbol, this.lastId!, this.lastTs, beforeId, {
          ...this.o.rest,
          onPage: (n) =>
            this.o.onBackfillProgress?.(this.o.exchange, this.o.symbol, n, beforeId - afterId - 1),
        })) {
          for (const t of page) {
            const last = this.lastId!;
            if (t.id <= last || t.id >= beforeId) continue;
            if (t.id > last + 1) this.unfilled(last + 1, t.id - 1);
            this.release(t);
            recovered++;
          }
          if (this.stopped) return;
        }
        break;
      } catch (e) {
        if (this.stopped) return;
        this.o.log.error(
          { exchange: this.o.exchange, symbol: this.o.symbol, err: (e as Error).message, retry_ms: delay },
          'back-fill failed; retrying (live trades are held meanwhile)',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
    if (this.stopped) return;
    if (this.lastId! < beforeId - 1) this.unfilled(this.lastId! + 1, beforeId - 1);
    this.o.metrics.tradesBackfilled.labels(this.labels).inc(recovered);
    this.o.log.info(
      { exchange: this.o.exchange, symbol: this.o.symbol, after_id: afterId, before_id: beforeId, recovered },
      'back-fill done',
    );
    this.state = 'live';
    this.drainHeld();
  }

  /** Records ids the exchange did not serve, then moves past them. */
  private unfilled(from: number, to: number): void {
    this.o.metrics.unfilledGaps.labels(this.labels).inc(to - from + 1);
    this.o.log.error(
      { exchange: this.o.exchange, symbol: this.o.symbol, from_trade_id: from, to_trade_id: to },
      'trades not served by the exchange any more: recorded as an unfillable gap',
    );
    this.lastId = to;
    void this.o.store
      .recordGap(this.o.exchange, this.o.symbol, from, to, 'not served by the exchange REST API')
      .catch((e: unknown) =>
        this.o.log.error({ err: (e as Error).message, from, to }, 'could not record the gap'),
      );
  }

  private drainHeld(): void {
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      this.push(held[i]!);
      if (this.state !== 'live') {
        // A new back-fill started: the rest waits behind it, in order.
        for (let j = i + 1; j < held.length; j++) this.held.push(held[j]!);
        return;
      }
    }
  }

  /** Fetches (storedLast, beforeId) again after the store lost acknowledged trades. */
  private async refill(storedLast: number, beforeId: number): Promise<Trade[]> {
    this.o.metrics.tradeGaps.labels(this.labels).inc();
    const stats = await this.o.store.marketStats(this.o.exchange, this.o.symbol);
    const out: Trade[] = [];
    for await (const page of this.o.adapter.backfill(
      this.o.symbol,
      storedLast,
      stats?.lastTs ?? 0,
      beforeId,
      this.o.rest,
    )) {
      out.push(...page);
    }
    this.o.metrics.tradesBackfilled.labels(this.labels).inc(out.length);
    const missing = beforeId - storedLast - 1 - out.length;
    if (missing > 0) {
      this.o.metrics.unfilledGaps.labels(this.labels).inc(missing);
      await this.o.store.recordGap(
        this.o.exchange,
        this.o.symbol,
        storedLast + 1,
        beforeId - 1,
        'lost by the store and not fully served by the exchange',
      );
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
  }
}
