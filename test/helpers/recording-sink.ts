import type { BookMessage, Trade } from '../../src/core/types.js';
import type { FrameSink } from '../../src/exchanges/adapter.js';

/** A FrameSink that records everything, for parser tests. */
export class RecordingSink implements FrameSink {
  readonly tradeBatches: { trades: Trade[]; snapshot: boolean }[] = [];
  readonly books: BookMessage[] = [];
  readonly broken: { symbol: string; reason: string }[] = [];
  readonly heartbeats: { symbol: string | undefined; lastTradeId: number | undefined }[] = [];
  readonly subscriptions: { channel: string; symbols: readonly string[] }[] = [];
  readonly errors: { message: string; symbol: string | undefined }[] = [];
  readonly types: string[] = [];
  readonly unknownTypes: string[] = [];
  readonly malformedKinds: { kind: string; detail: string }[] = [];

  get allTrades(): Trade[] {
    return this.tradeBatches.flatMap((b) => b.trades);
  }

  // FrameSink
  trades(trades: Trade[], snapshot: boolean): void {
    this.tradeBatches.push({ trades, snapshot });
  }
  book(message: BookMessage): void {
    this.books.push(message);
  }
  bookBroken(symbol: string, reason: string): void {
    this.broken.push({ symbol, reason });
  }
  heartbeat(symbol: string | undefined, lastTradeId: number | undefined): void {
    this.heartbeats.push({ symbol, lastTradeId });
  }
  subscribed(channel: string, symbols: readonly string[]): void {
    this.subscriptions.push({ channel, symbols });
  }
  exchangeError(message: string, symbol: string | undefined): void {
    this.errors.push({ message, symbol });
  }
  message(type: string): void {
    this.types.push(type);
  }
  unknown(type: string): void {
    this.unknownTypes.push(type);
  }
  malformed(kind: string, detail: string): void {
    this.malformedKinds.push({ kind, detail });
  }
}
