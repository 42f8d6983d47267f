/**
 * One exchange: its connection, its adapter's parser, and per market a sequencer and a
 * book. Implements the adapter's FrameSink, so parsed frames land here synchronously.
 */

import { type Logger, OncePerKind } from '../core/logger.js';
import type { BookMessage, Exchange, Trade } from '../core/types.js';
import type { ExchangeAdapter, FrameSink, SubscribeOptions } from '../exchanges/adapter.js';
import type { Metrics } from '../metrics/registry.js';
import type { BookSync } from './book-sync.js';
import { Connection } from './connection.js';
import type { Sequencer } from './sequencer.js';

export interface ExchangeFeedOptions {
  exchange: Exchange;
  symbols: string[];
  adapter: ExchangeAdapter;
  wsUrl: string;
  compression: boolean;
  staleTimeoutMs: number;
  subscribe: SubscribeOptions;
  sequencers: Map<string, Sequencer>;
  books: Map<string, BookSync>;
  metrics: Metrics;
  log: Logger;
  /** After each frame's trades were handed to the sequencers (flow control). */
  afterTrades: () => void;
}

type CounterChild = ReturnType<Metrics['wsMessages']['labels']>;

export class ExchangeFeed implements FrameSink {
  readonly connection: Connection;
  private readonly typeCounters = new Map<string, CounterChild>();
  private readonly typeCounts = new Map<string, number>();
  private readonly malformedCounter: CounterChild;
  private readonly once: OncePerKind;
  /** Last frame of any kind, and per market (ms epoch). */
  lastFrameAt = 0;
  readonly lastMarketMessageAt = new Map<string, number>();
  private lastSeq: Sequencer | undefined;
  private lastSeqSymbol = '';
  private hasSubscription = false;

  constructor(private readonly o: ExchangeFeedOptions) {
    const m = o.metrics;
    this.malformedCounter = m.malformed.labels(o.exchange);
    this.once = new OncePerKind(o.log);
    const connected = m.wsConnected.labels(o.exchange);
    connected.set(0);
    m.wsReconnections.labels(o.exchange).inc(0);
    this.connection = new Connection({
      name: o.exchange,
      url: o.wsUrl,
      compression: o.compression,
      staleTimeoutMs: o.staleTimeoutMs,
      pingMessage: o.adapter.pingMessage?.bind(o.adapter),
      log: o.log,
      onOpen: () => o.adapter.subscribeMessages(o.symbols, o.subscribe),
      onFrame: (text, recvTs) => {
        this.lastFrameAt = Date.now();
        o.adapter.parseFrame(text, recvTs, this);
      },
      onBinaryFrame: () => {
        this.lastFrameAt = Date.now();
        this.message('binary');
        this.malformed('binary_frame', 'binary WebSocket frame');
      },
      onClose: () => {
        this.hasSubscription = false;
        for (const b of o.books.values()) b.disconnected();
      },
      onReconnect: () => m.wsReconnections.labels(o.exchange).inc(),
      onConnectedChange: (c) => connected.set(c ? 1 : 0),
    });
  }

  get exchange(): Exchange {
    return this.o.exchange;
  }

  get isSubscribed(): boolean {
    return this.hasSubscription;
  }

  start(): void {
    this.connection.start();
  }

  // ---- FrameSink (hot path) ----

  trades(trades: Trade[], _snapshot: boolean): void {
    const now = this.lastFrameAt;
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i]!;
      let seq = this.lastSeq;
      if (t.symbol !== this.lastSeqSymbol || !seq) {
        seq = this.o.sequencers.get(t.symbol);
        if (!seq) continue;
        this.lastSeq = seq;
        this.lastSeqSymbol = t.symbol;
        this.lastMarketMessageAt.set(t.symbol, now);
      }
      seq.push(t);
    }
    if (trades.length > 0) this.lastMarketMessageAt.set(trades[trades.length - 1]!.symbol, now);
    this.o.afterTrades();
  }

  book(m: BookMessage): void {
    this.lastMarketMessageAt.set(m.symbol, this.lastFrameAt);
    this.o.books.get(m.symbol)?.onMessage(m);
  }

  bookBroken(symbol: string, reason: string): void {
    this.o.books.get(symbol)?.broken(reason);
  }

  heartbeat(symbol: string | undefined, lastTradeId: number | undefined): void {
    if (symbol === undefined) {
      for (const s of this.o.symbols) this.lastMarketMessageAt.set(s, this.lastFrameAt);
      return;
    }
    this.lastMarketMessageAt.set(symbol, this.lastFrameAt);
    if (lastTradeId !== undefined) this.o.sequencers.get(symbol)?.heartbeat(lastTradeId);
  }

  subscribed(channel: string, symbols: readonly string[]): void {
    this.hasSubscription = true;
    this.o.log.debug({ exchange: this.o.exchange, channel, symbols }, 'subscribed');
  }

  exchangeError(message: string, symbol: string | undefined): void {
    this.o.log.error({ exchange: this.o.exchange, symbol, message }, 'exchange reported an error');
  }

  message(type: string): void {
    // Counted locally per frame, added to the metric on the collector's tick (flushCounts).
    this.typeCounts.set(type, (this.typeCounts.get(type) ?? 0) + 1);
  }

  /** Moves the per-type message counts into websocket_messages_total. */
  flushCounts(): void {
    for (const [type, n] of this.typeCounts) {
      if (n === 0) continue;
      let c = this.typeCounters.get(type);
      if (!c) {
        c = this.o.metrics.wsMessages.labels(this.o.exchange, type);
        this.typeCounters.set(type, c);
      }
      c.inc(n);
      this.typeCounts.set(type, 0);
    }
  }

  unknown(type: string): void {
    this.once.warn(
      `${this.o.exchange}:unknown:${type}`,
      { exchange: this.o.exchange, type },
      'unknown message type ignored',
    );
  }

  malformed(kind: string, detail: string): void {
    this.malformedCounter.inc();
    this.once.warn(
      `${this.o.exchange}:malformed:${kind}`,
      { exchange: this.o.exchange, kind, detail },
      'malformed message',
    );
  }

  /** Resubscribes one market's book (the others keep flowing). */
  resyncBook(symbol: string): void {
    for (const frame of this.o.adapter.resyncBookMessages(symbol, this.o.subscribe))
      this.connection.send(frame);
  }

  async stop(): Promise<void> {
    await this.connection.stop();
  }
}
