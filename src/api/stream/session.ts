/**
 * One `/stream` connection: parses and answers the client's messages one at a time, holds
 * its subscriptions in the shared hub, and sends what the hub hands it.
 */

import type { WebSocket } from 'ws';
import type { Logger } from '../../core/logger.js';
import { StoreUnavailableError } from '../../store/store.js';
import { SERVICE_NAME, VERSION } from '../../version.js';
import { STORAGE_UNAVAILABLE } from '../errors.js';
import type { KnownSymbols } from '../input.js';
import type { StoreReader } from '../store-reader.js';
import type { HubClient, StreamHub, Subscription } from './hub.js';
import {
  CHANNELS,
  type ClientRequest,
  errorMessage,
  MAX_MESSAGE_BYTES,
  MAX_SUBSCRIPTIONS,
  matches,
  ProtocolError,
  parseRequest,
  type StreamFilter,
  type StreamSpec,
  specKey,
  streamsOut,
  topMessage,
} from './protocol.js';

/** Client messages waiting to be handled; more are refused with `too_many_requests`. */
const MAX_QUEUED_REQUESTS = 32;
/** After telling a client it is too slow, how long its close handshake may take. */
const SLOW_CLOSE_GRACE_MS = 5000;

export interface SessionDeps {
  hub: StreamHub;
  known: KnownSymbols;
  reader: StoreReader;
  log: Logger;
}

interface Held {
  spec: StreamSpec;
  sub: Subscription;
}

export class StreamSession implements HubClient {
  private readonly subs = new Map<string, Held>();
  private readonly queue: string[] = [];
  private busy = false;
  private isClosed = false;
  /** Answered a heartbeat ping since the last one. */
  alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
  ) {}

  start(): void {
    this.ws.on('message', (data, isBinary) =>
      this.onMessage(data as Buffer | Buffer[] | ArrayBuffer, isBinary),
    );
    this.ws.on('pong', () => {
      this.alive = true;
    });
    this.ws.on('close', () => this.onClose());
    this.ws.on('error', (err) => {
      this.deps.log.debug({ component: 'stream', err: err.message }, 'stream connection error');
    });
    this.sendJson({
      type: 'welcome',
      service: SERVICE_NAME,
      version: VERSION,
      channels: CHANNELS,
      max_subscriptions: MAX_SUBSCRIPTIONS,
      max_message_bytes: MAX_MESSAGE_BYTES,
    });
  }

  // ---- HubClient ----

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(data: Buffer | string): void {
    if (this.isClosed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(data, { binary: false });
  }

  tooSlow(): void {
    if (this.isClosed) return;
    this.deps.log.info(
      { component: 'stream', buffered_bytes: this.ws.bufferedAmount },
      'stream client too slow; closing it',
    );
    this.send(
      errorMessage(
        'slow_consumer',
        'the connection cannot keep up with the subscribed streams; reconnect and resume with "from"',
      ),
    );
    this.leaveHub();
    this.isClosed = true;
    this.ws.close(1008, 'slow consumer');
    setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
  }

  notify(code: string, message: string): void {
    this.send(errorMessage(code, message));
  }

  // ---- lifecycle ----

  /** Closes the connection (server shutdown). */
  shutdown(): void {
    this.leaveHub();
    this.isClosed = true;
    this.ws.close(1001, 'server shutting down');
  }

  /** Heartbeat: the client's pong sets `alive` again. */
  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  terminate(): void {
    this.leaveHub();
    this.isClosed = true;
    this.ws.terminate();
  }

  private onClose(): void {
    this.leaveHub();
    this.isClosed = true;
    this.queue.length = 0;
  }

  private leaveHub(): void {
    for (const h of this.subs.values()) this.deps.hub.unsubscribe(this, h.sub.key);
    this.subs.clear();
  }

  private sendJson(v: unknown): void {
    this.send(JSON.stringify(v));
  }

  // ---- requests ----

  private onMessage(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (this.isClosed) return;
    if (isBinary) {
      this.send(errorMessage('invalid_message', 'send JSON text frames, not binary ones'));
      return;
    }
    if (this.queue.length >= MAX_QUEUED_REQUESTS) {
      this.send(errorMessage('too_many_requests', 'too many messages waiting; slow down'));
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    this.queue.push(text);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.isClosed) {
        const text = this.queue.shift()!;
        try {
          await this.handle(parseRequest(text));
        } catch (err) {
          if (this.isClosed) break;
          if (err instanceof ProtocolError) this.send(errorMessage(err.code, err.message));
          else if (err instanceof StoreUnavailableError) {
            this.send(errorMessage(STORAGE_UNAVAILABLE.error, STORAGE_UNAVAILABLE.message));
          } else {
            this.deps.log.error({ component: 'stream', err }, 'unexpected error handling a stream message');
            this.send(errorMessage('internal', 'internal error'));
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(req: ClientRequest): Promise<void> {
    if (req.op === 'ping') {
      this.sendJson({ type: 'pong' });
      return;
    }
    if (req.op === 'unsubscribe') {
      this.sendJson({ type: 'unsubscribed', streams: streamsOut(this.unsubscribe(req.filter)) });
      return;
    }
    await this.subscribe(req.streams, req.from);
  }

  private unsubscribe(filter: StreamFilter): StreamSpec[] {
    const removed: StreamSpec[] = [];
    for (const [key, h] of this.subs) {
      if (!matches(filter, h.spec)) continue;
      this.deps.hub.unsubscribe(this, h.sub.key);
      this.subs.delete(key);
      removed.push(h.spec);
    }
    return removed;
  }

  private async subscribe(streams: StreamSpec[], from: Map<string, string>): Promise<void> {
    // Already subscribed and no new start point: nothing to do for that stream.
    const wanted = streams.filter((s) => from.has(specKey(s)) || !this.subs.has(specKey(s)));
    const added = wanted.filter((s) => !this.subs.has(specKey(s))).length;
    if (this.subs.size + added > MAX_SUBSCRIPTIONS) {
      throw new ProtocolError(
        'too_many_subscriptions',
        `this would make ${this.subs.size + added} subscriptions; a connection holds at most ${MAX_SUBSCRIPTIONS}`,
      );
    }
    // All or nothing: every market must exist before anything is subscribed.
    const markets = new Map(wanted.map((s) => [`${s.exchange}:${s.symbol}`, s]));
    for (const s of markets.values()) {
      const has = this.deps.known.has(s.exchange, s.symbol);
      if (has !== true && !(await has)) {
        throw new ProtocolError('unknown_symbol', `no data for ${s.symbol} on ${s.exchange}`);
      }
    }
    if (this.isClosed) return;

    const held: Held[] = [];
    try {
      for (const spec of wanted) {
        const key = specKey(spec);
        const old = this.subs.get(key);
        if (old) {
          this.deps.hub.unsubscribe(this, old.sub.key);
          this.subs.delete(key);
        }
        const sub = await this.deps.hub.subscribe(
          this,
          spec.channel,
          spec.exchange,
          spec.symbol,
          from.get(key),
        );
        if (this.isClosed) {
          // Closed while the hub was getting ready: leave nothing behind.
          this.deps.hub.unsubscribe(this, sub.key);
          return;
        }
        const h = { spec, sub };
        this.subs.set(key, h);
        held.push(h);
      }
    } catch (err) {
      for (const h of held) {
        this.deps.hub.unsubscribe(this, h.sub.key);
        this.subs.delete(specKey(h.spec));
      }
      throw err;
    }
    this.sendJson({ type: 'subscribed', streams: streamsOut(streams, from) });

    for (const h of held) {
      if (this.isClosed) return;
      if (h.spec.channel === 'book' && !from.has(specKey(h.spec))) {
        // The current book first; the updates that follow continue from it.
        let top: Awaited<ReturnType<StoreReader['bookTop']>>;
        try {
          top = await this.deps.reader.bookTop(h.spec.exchange, h.spec.symbol);
        } catch {
          // Without its snapshot the book stream is useless: drop it, keep the others.
          this.deps.hub.unsubscribe(this, h.sub.key);
          this.subs.delete(specKey(h.spec));
          this.send(
            errorMessage(
              STORAGE_UNAVAILABLE.error,
              `book ${h.spec.exchange}:${h.spec.symbol} not subscribed: the data store is unavailable; subscribe again`,
            ),
          );
          continue;
        }
        if (this.isClosed || this.subs.get(specKey(h.spec)) !== h) continue;
        if (top)
          this.send(topMessage({ ...top, exchange: h.spec.exchange, symbol: h.spec.symbol }, h.sub.lastId));
        this.deps.hub.release(h.sub, top?.seq);
      } else this.deps.hub.release(h.sub);
    }
  }
}
