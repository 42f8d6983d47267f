/** `/stream` test helpers: an API server with the stream's hooks, and a WebSocket client that keeps every message. */

import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { buildApiServer } from '../../src/api/server.js';
import type { StreamEndpoint, StreamOptions } from '../../src/api/stream/websocket.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import type { Store, StreamCursor, StreamItem } from '../../src/store/store.js';
import type { Json } from '../api/helpers.js';
import { waitFor } from '../helpers/process.js';

export interface StreamApi {
  app: FastifyInstance;
  base: string;
  ws: string;
  port: number;
  metrics: Metrics;
  endpoint: StreamEndpoint;
  close(): Promise<void>;
}

/** A real API server on 127.0.0.1 (any free port) with `/stream` tuned by `stream`. */
export async function startStreamApi(
  store: Store,
  env: Record<string, string> = {},
  stream: StreamOptions = {},
): Promise<StreamApi> {
  const config = loadConfig({ env: { API_HOST: '127.0.0.1', API_PORT: '0', ...env } });
  const metrics = createMetrics();
  let endpoint: StreamEndpoint | undefined;
  const app = await buildApiServer({
    config,
    store,
    metrics,
    log: silentLogger,
    live: { stream, onStream: (e) => (endpoint = e) },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    port,
    base: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}/stream`,
    metrics,
    endpoint: endpoint!,
    close: () => app.close(),
  };
}

/** Watches `readStreams` of a store: how many run at once, in total and blocking. */
export class ReadSpy {
  inFlight = 0;
  maxInFlight = 0;
  blockingInFlight = 0;
  maxBlockingInFlight = 0;
  blockingCalls = 0;
  readonly store: Store;

  constructor(target: Store) {
    const read = async (cursors: readonly StreamCursor[], count: number, blockMs: number) => {
      const blocking = blockMs > 0;
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      if (blocking) {
        this.blockingCalls++;
        this.blockingInFlight++;
        this.maxBlockingInFlight = Math.max(this.maxBlockingInFlight, this.blockingInFlight);
      }
      try {
        return (await target.readStreams(cursors, count, blockMs)) as StreamItem[];
      } finally {
        this.inFlight--;
        if (blocking) this.blockingInFlight--;
      }
    };
    this.store = new Proxy(target, {
      get(t, prop) {
        if (prop === 'readStreams') return read;
        const v = Reflect.get(t, prop, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  }
}

/** A WebSocket client that records every message (parsed JSON) in arrival order. */
export class WsClient {
  readonly messages: Json[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<number>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : String(data);
      let m: Json;
      try {
        m = JSON.parse(text);
      } catch {
        m = { type: '<unparsed>', text };
      }
      this.messages.push(m);
      for (const l of this.listeners) l();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        for (const l of this.listeners) l();
        resolve(code);
      });
    });
    ws.on('error', () => {});
  }

  /** Connects and waits for the server's welcome. */
  static async open(url: string, options: { headers?: Record<string, string> } = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers: options.headers ?? {} });
    const c = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await c.next((m) => m.type === 'welcome');
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first message after index `from` matching `pred` (waits for it). */
  async next(pred: (m: Json) => boolean, from = 0, timeoutMs = 20_000): Promise<Json> {
    const find = () => this.messages.slice(from).find(pred);
    const hit = find();
    if (hit !== undefined) return hit;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const m = find();
        if (m !== undefined) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(m);
        } else if (this.closeCode !== undefined) {
          clearTimeout(timer);
          this.listeners.delete(check);
          reject(
            new Error(`connection closed (${this.closeCode} ${this.closeReason}) before a matching message`),
          );
        }
      };
      this.listeners.add(check);
    });
  }

  /** Sends `msg` and returns the next message of one of `types` answering it. */
  async request(msg: unknown, types = ['subscribed', 'unsubscribed', 'error', 'pong']): Promise<Json> {
    const from = this.messages.length;
    this.send(msg);
    return this.next((m) => types.includes(m.type), from);
  }

  /** Waits until `pred` holds over the messages received so far. */
  until(what: string, pred: (messages: Json[]) => boolean, timeoutMs = 30_000): Promise<true> {
    return waitFor(what, () => pred(this.messages) || undefined, timeoutMs, 25);
  }

  trades(exchange: string, symbol: string): Json[] {
    return this.messages.filter((m) => m.type === 'trade' && m.exchange === exchange && m.symbol === symbol);
  }

  books(exchange: string, symbol: string): Json[] {
    return this.messages.filter((m) => m.type === 'book' && m.exchange === exchange && m.symbol === symbol);
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a connection expected to be refused; resolves with the HTTP status and JSON body. */
export function refusedUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += String(c);
      });
      res.on('end', () => {
        let body: Json;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    ws.once('error', (e) => reject(e));
  });
}

/** An order book rebuilt from stream messages (snapshot, then absolute-size updates). */
export class LocalBook {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  valid = false;

  apply(m: Json): void {
    if (m.kind === 'snapshot' || m.kind === 'book_reset') {
      this.bids.clear();
      this.asks.clear();
      this.valid = m.kind === 'snapshot';
    }
    for (const [side, levels] of [
      [this.bids, m.bids],
      [this.asks, m.asks],
    ] as const) {
      for (const l of levels as { price: number; size: number }[]) {
        if (l.size === 0) side.delete(l.price);
        else side.set(l.price, l.size);
      }
    }
  }

  /** Best first, like /orderbook. */
  levels(): { bids: { price: number; size: number }[]; asks: { price: number; size: number }[] } {
    const list = (m: Map<number, number>, desc: boolean) =>
      [...m.entries()]
        .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
        .map(([price, size]) => ({ price, size }));
    return { bids: list(this.bids, true), asks: list(this.asks, false) };
  }
}
