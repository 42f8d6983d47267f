/**
 * HTTP + WebSocket on one port, as both exchanges serve them, with an optional REST
 * request-rate limit for retry/backoff tests. permessage-deflate is off unless asked for
 * (plain text is what benchmarks and tests compare against); when on, every message is
 * compressed, whatever its size, as the exchanges do.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { enableFastDeflate } from '../core/ws-deflate.js';

/** A JSON answer to a REST request. */
export interface RestAnswer {
  status: number;
  /** JSON text. */
  body: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: string, headers?: Record<string, string>): RestAnswer {
  return headers ? { status, body, headers } : { status, body };
}

export interface SimServerOptions {
  /** REST requests per second before the rate-limit answer; undefined = unlimited. */
  restRps?: number | undefined;
  /** Accept permessage-deflate when a client offers it (default false). */
  compression?: boolean | undefined;
}

export interface SimServerHandlers {
  /** WebSocket paths accepted (`/`, `/v2`). */
  wsPaths: readonly string[];
  /** A GET request within the rate limit. */
  rest(url: URL): RestAnswer;
  /** What this exchange answers beyond the rate limit. */
  rateLimited: RestAnswer;
  connection(ws: WebSocket): void;
}

function send(res: ServerResponse, answer: RestAnswer): void {
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(answer.body),
    ...answer.headers,
  });
  res.end(answer.body);
}

/** At most `rps` requests per wall-clock second (a fixed window: simple and predictable). */
class RequestRateLimiter {
  private window = -1;
  private count = 0;

  constructor(private readonly rps: number) {}

  allow(): boolean {
    const w = Math.floor(Date.now() / 1000);
    if (w !== this.window) {
      this.window = w;
      this.count = 0;
    }
    return ++this.count <= this.rps;
  }
}

export class SimServer {
  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {}

  static async start(
    host: string,
    port: number,
    options: SimServerOptions,
    handlers: SimServerHandlers,
  ): Promise<SimServer> {
    const limiter = options.restRps ? new RequestRateLimiter(options.restRps) : undefined;
    const http = createServer((req: IncomingMessage, res: ServerResponse) => {
      let answer: RestAnswer;
      if (req.method !== 'GET') answer = json(405, '{"message":"method not allowed"}');
      else if (limiter && !limiter.allow()) answer = handlers.rateLimited;
      else {
        try {
          answer = handlers.rest(new URL(req.url ?? '/', 'http://sim'));
        } catch {
          // e.g. a malformed %-escape in the path: the client's fault, never a crash.
          answer = json(400, '{"message":"bad request"}');
        }
      }
      send(res, answer);
    });
    const wss = new WebSocketServer({
      noServer: true,
      // threshold 0: compress every message (ws's default skips those under 1 KiB).
      perMessageDeflate: options.compression ? { threshold: 0 } : false,
      maxPayload: 1 << 20,
    });
    http.on('upgrade', (req, socket, head) => {
      const path = URL.canParse(req.url ?? '/', 'http://sim')
        ? new URL(req.url ?? '/', 'http://sim').pathname
        : '';
      if (!handlers.wsPaths.includes(path)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        // Level 1: the simulator stands in for an exchange's fleet; it must not be the bottleneck.
        if (options.compression) enableFastDeflate(ws, { level: 1 });
        handlers.connection(ws);
      });
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    return new SimServer(http, wss, (http.address() as AddressInfo).port);
  }

  /** Cuts every client and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
