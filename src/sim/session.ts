/**
 * One WebSocket client of a simulated exchange: counts what it is sent, applies the
 * per-connection faults (drop, bad frames), sends a tick's messages in one socket write,
 * and reports congestion so a slow reader just lags.
 */

import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { BAD_FRAME_KINDS, type BadFrameKind, type FaultOptions } from './faults.js';
import { FrameWriter, type OutgoingMessage } from './frame-batch.js';
import type { SimMarket } from './market.js';

/** Above this many queued bytes a client gets no more trades this tick (nothing is dropped). */
export const HIGH_WATER_BYTES = 1 << 20;

/** ws keeps its net.Socket private; we need it to cork a tick's frames and to cut a connection. */
function rawSocket(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

/** A client's position in one market's trade history. */
export interface TradeCursor {
  market: SimMarket;
  /** Index of the next trade to offer. */
  cursor: number;
}

export abstract class SimSession {
  /** Real messages sent; fault cadences count these (injected bad frames are extra). */
  sent = 0;
  closed = false;
  /** Book updates sent (the corrupt-checksum cadence). */
  bookUpdates = 0;
  private badFrames = 0;
  private corked = false;
  private lastReal = '';
  /**
   * Without compression the tick's messages are framed here and written at once
   * (frame-batch.ts); with permessage-deflate each goes through ws, which deflates it.
   */
  private readonly batched: boolean;
  private outbox: OutgoingMessage[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private readonly frames = new FrameWriter();

  constructor(
    readonly ws: WebSocket,
    protected readonly faults: FaultOptions,
  ) {
    this.batched = !ws.extensions.includes('permessage-deflate');
    ws.on('close', () => {
      this.closed = true;
    });
  }

  /** True while the client has more than HIGH_WATER_BYTES unsent. */
  get congested(): boolean {
    return this.ws.bufferedAmount + this.outboxBytes > HIGH_WATER_BYTES;
  }

  /** Sends one real message; false once the connection is gone (or was just dropped). */
  send(text: string): boolean {
    if (this.closed) return false;
    this.enqueue(text);
    this.lastReal = text;
    const n = ++this.sent;
    const { badFrameEvery, dropEvery } = this.faults;
    if (badFrameEvery && n % badFrameEvery === 0) this.sendBadFrame();
    if (dropEvery && n % dropEvery === 0) {
      this.drop();
      return false;
    }
    return true;
  }

  /** True when this book update is one `--corrupt-checksum-every` picks. */
  nextBookUpdateCorrupt(): boolean {
    const every = this.faults.corruptChecksumEvery;
    this.bookUpdates++;
    return every !== undefined && this.bookUpdates % every === 0;
  }

  /**
   * Cuts the connection without a WebSocket close frame (the client sees 1006, as after
   * ws.terminate()), after flushing what was sent, so the client gets exactly n messages.
   */
  drop(): void {
    this.closed = true;
    this.flush();
    const socket = rawSocket(this.ws);
    if (socket) socket.destroySoon();
    else this.ws.terminate();
  }

  /** The next trade this client will really be sent, for bad frames that imitate it. */
  protected nextTradeOf(cursors: Iterable<TradeCursor>): { market: SimMarket; id: number } | undefined {
    for (const { market, cursor } of cursors) {
      const h = market.history;
      let i = cursor;
      while (i < h.length && h.withheld(i)) i++;
      return { market, id: h.id(i) };
    }
    return undefined;
  }

  /** The malformed frame of a kind (a Buffer is sent as a binary frame). */
  protected abstract malformedFrame(kind: BadFrameKind, lastReal: string): string | Buffer;

  private sendBadFrame(): void {
    const kind = BAD_FRAME_KINDS[this.badFrames++ % BAD_FRAME_KINDS.length]!;
    const frame = this.malformedFrame(kind, this.lastReal);
    this.enqueue(frame);
  }

  /** Closes with a close frame, after what was already sent. */
  close(code: number, reason: string): void {
    this.flush();
    this.ws.close(code, reason);
  }

  private enqueue(message: OutgoingMessage): void {
    if (!this.batched) {
      this.cork();
      this.ws.send(message, { binary: typeof message !== 'string' });
      return;
    }
    this.outbox.push(message);
    this.outboxBytes += message.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outbox.length === 0) return;
    const messages = this.outbox;
    this.outbox = [];
    this.outboxBytes = 0;
    const socket = rawSocket(this.ws);
    // Nothing may follow a close frame; a connection going away loses its unsent tail anyway.
    if (!socket?.writable || this.ws.readyState !== WebSocket.OPEN) return;
    this.frames.write(socket, messages);
  }

  private cork(): void {
    if (this.corked) return;
    const socket = rawSocket(this.ws);
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }
}
