/**
 * HTTP + WebSocket on one port, as both exchanges serve them (plain text, never
 * permessage-deflate), with an optional REST request-rate limit for retry/backoff tests.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

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
    restRps: number | undefined,
    handlers: SimServerHandlers,
  ): Promise<SimServer> {
    const limiter = restRps ? new RequestRateLimiter(restRps) : undefined;
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
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
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
