/**
 * One exchange WebSocket's lifecycle, knowing nothing of any message format: connect,
 * subscribe (via onOpen), stale detection, optional application-level ping on idle,
 * reconnect with capped jittered exponential backoff, pause/resume for backpressure,
 * clean close.
 */

import WebSocket from 'ws';
import type { Logger } from '../core/logger.js';
import { nowUs } from '../core/time.js';
import { enableFastDeflate, isDeflateNegotiated } from '../core/ws-deflate.js';

export interface ConnectionOptions {
  name: string;
  url: string;
  /** Negotiate permessage-deflate (the live exchanges recommend it; simulators never do). */
  compression: boolean;
  /** No frame for this long = dead connection: reconnect. */
  staleTimeoutMs: number;
  /** Application ping to send when idle for staleTimeoutMs/3 (Kraken). */
  pingMessage?: (() => string) | undefined;
  log: Logger;
  /** Called on every open; returns the frames to send (subscriptions). */
  onOpen: () => string[];
  onFrame: (text: string, recvTs: number) => void;
  onBinaryFrame: () => void;
  onClose: (reason: string) => void;
  onReconnect: () => void;
  onConnectedChange: (connected: boolean) => void;
  /** Backoff bounds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const MAX_PAYLOAD = 64 * 1024 * 1024; // Coinbase snapshots can exceed 16 MiB.

export class Connection {
  private ws: WebSocket | undefined;
  private stopped = false;
  private attempts = 0;
  private everOpened = false;
  private lastFrameAt = 0;
  private openedAt = 0;
  private pingSentAt = 0;
  private paused = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly o: ConnectionOptions) {}

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    this.stopped = false;
    this.open();
    const tick = Math.max(100, Math.min(1000, this.o.staleTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkStale(), tick);
    this.watchdog.unref();
  }

  private open(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.o.url, {
      perMessageDeflate: this.o.compression ? { clientNoContextTakeover: false } : false,
      maxPayload: MAX_PAYLOAD,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    this.lastFrameAt = Date.now();
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.openedAt = Date.now();
      this.lastFrameAt = this.openedAt;
      if (this.everOpened) this.o.onReconnect();
      this.everOpened = true;
      // Compressed frames inflated in line instead of one thread-pool job per message.
      const compression = !isDeflateNegotiated(ws) ? 'off' : enableFastDeflate(ws) ? 'fast' : 'ws';
      this.o.log.info({ exchange: this.o.name, url: this.o.url, compression }, 'websocket connected');
      if (compression === 'ws')
        this.o.log.warn({ exchange: this.o.name }, 'permessage-deflate left to ws (slower path)');
      for (const frame of this.o.onOpen()) ws.send(frame);
      if (this.paused) ws.pause();
      this.o.onConnectedChange(true);
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const recvTs = nowUs();
      this.lastFrameAt = Date.now();
      if (isBinary) {
        this.o.onBinaryFrame();
        return;
      }
      this.o.onFrame(typeof data === 'string' ? data : data.toString(), recvTs);
    });
    let lastError = '';
    ws.on('error', (err: Error) => {
      // Reported once, with the close that always follows.
      lastError = err.message;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const why = `closed ${code}${reason.length ? ` ${reason.toString()}` : ''}${lastError ? ` (${lastError})` : ''}`;
      this.o.onConnectedChange(false);
      this.o.onClose(why);
      if (!this.stopped) this.scheduleReconnect(why);
    });
  }

  private scheduleReconnect(reason: string): void {
    // A connection that stayed up a while resets the backoff: the first retry is quick.
    if (this.openedAt > 0 && Date.now() - this.openedAt > 30_000) this.attempts = 0;
    const min = this.o.minBackoffMs ?? 100;
    const max = this.o.maxBackoffMs ?? 15_000;
    const base = Math.min(max, min * 2 ** this.attempts);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempts++;
    this.o.log.warn(
      { exchange: this.o.name, reason, retry_in_ms: delay, attempt: this.attempts },
      'websocket down; reconnecting',
    );
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private checkStale(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const idle = Date.now() - this.lastFrameAt;
    if (idle > this.o.staleTimeoutMs && !this.paused) {
      this.o.log.warn(
        { exchange: this.o.name, idle_ms: idle },
        'no message within the stale limit; reconnecting',
      );
      ws.terminate();
      return;
    }
    if (
      this.o.pingMessage &&
      idle > this.o.staleTimeoutMs / 3 &&
      Date.now() - this.pingSentAt > this.o.staleTimeoutMs / 3
    ) {
      this.pingSentAt = Date.now();
      ws.send(this.o.pingMessage());
    }
  }

  send(frame: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Stops reading (TCP backpressure reaches the sender); the stale check is suspended. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.ws?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastFrameAt = Date.now();
    this.ws?.resume();
  }

  /** Drops the connection now and reconnects (e.g. to resubscribe everything). */
  reconnect(reason: string): void {
    this.o.log.info({ exchange: this.o.name, reason }, 'reconnecting on request');
    this.ws?.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdog);
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'shutdown');
    });
    this.ws = undefined;
  }
}
