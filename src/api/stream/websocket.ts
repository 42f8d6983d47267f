/**
 * `GET /stream`: the WebSocket endpoint, attached to fastify's own HTTP server (`ws` with
 * `noServer`). Upgrade requests bypass fastify's hooks, so this checks what they check:
 * the token (Authorization: Bearer, or `?token=` since browsers cannot set headers on a
 * WebSocket), the Origin (same origin or CORS_ORIGINS), and records the request metrics.
 * Refusals are JSON `{"error","message"}` answers like every other route's.
 */

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { ApiContext } from '../context.js';
import type { ErrorBody } from '../errors.js';
import { bearerChecker, HttpMetrics, UNMATCHED } from '../http.js';
import { type HubOptions, StreamHub } from './hub.js';
import { MAX_MESSAGE_BYTES } from './protocol.js';
import { StreamSession } from './session.js';

export const STREAM_PATH = '/stream';

export interface StreamOptions extends HubOptions {
  /** Most connections at once (more are refused with 503). */
  maxClients?: number;
  /** Heartbeat: a client that does not answer a ping within this long is dropped, ms. */
  heartbeatMs?: number;
}

const MAX_CLIENTS = 1000;
const HEARTBEAT_MS = 30_000;

export interface StreamEndpoint {
  hub: StreamHub;
  readonly clientCount: number;
}

/** Wires `/stream` upgrades on `app.server`; everything is closed with the app. */
export function attachStream(
  app: FastifyInstance,
  ctx: ApiContext,
  options: StreamOptions = {},
): StreamEndpoint {
  const log = ctx.log.child({ component: 'stream' });
  const hub = new StreamHub(ctx.store, log, options);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // Every frame fans out to many clients: compressing it per client costs more than it saves.
    perMessageDeflate: false,
    clientTracking: false,
  });
  const sessions = new Set<StreamSession>();
  const httpMetrics = new HttpMetrics(ctx.metrics);
  const token = ctx.config.API_TOKEN;
  const check = token !== undefined ? bearerChecker(token) : undefined;
  const origins = ctx.config.CORS_ORIGINS;
  const maxClients = options.maxClients ?? MAX_CLIENTS;
  let closing = false;

  const refuse = (socket: Duplex, status: number, body: ErrorBody, path: string, extra = ''): void => {
    httpMetrics.record('GET', path, status, undefined);
    log.debug({ status, error: body.error }, 'stream upgrade refused');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n${extra}\r\n${json}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      refuse(socket, 400, { error: 'bad_request', message: 'malformed URL' }, UNMATCHED);
      return;
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (path !== STREAM_PATH) {
      refuse(
        socket,
        404,
        { error: 'not_found', message: `no WebSocket route ${path.slice(0, 100)}; use ${STREAM_PATH}` },
        UNMATCHED,
      );
      return;
    }
    if (req.method !== 'GET' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
      refuse(socket, 400, { error: 'bad_request', message: 'only WebSocket upgrades are served here' }, path);
      return;
    }
    if (check !== undefined) {
      const q = url.searchParams.get('token');
      if (!check(req.headers.authorization) && !(q !== null && check(`Bearer ${q}`))) {
        log.info({ ip: req.socket.remoteAddress }, 'stream refused: missing or wrong token');
        refuse(
          socket,
          401,
          {
            error: 'unauthorized',
            message: 'missing or invalid token: send Authorization: Bearer <API_TOKEN> or ?token=<API_TOKEN>',
          },
          path,
          'WWW-Authenticate: Bearer realm="alphapulse"\r\n',
        );
        return;
      }
    }
    if (!originAllowed(req, origins)) {
      refuse(socket, 403, { error: 'forbidden', message: 'origin not allowed (see CORS_ORIGINS)' }, path);
      return;
    }
    if (closing) {
      refuse(socket, 503, { error: 'shutting_down', message: 'the server is shutting down' }, path);
      return;
    }
    if (sessions.size >= maxClients) {
      refuse(socket, 503, { error: 'too_many_connections', message: 'too many stream connections' }, path);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      httpMetrics.record('GET', STREAM_PATH, 101, performance.now() - started);
      const session = new StreamSession(ws, { hub, known: ctx.known, reader: ctx.reader, log });
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
      session.start();
    });
  };
  app.server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const s of sessions) {
      if (!s.alive) {
        s.terminate();
        sessions.delete(s);
        continue;
      }
      s.alive = false;
      s.ping();
    }
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  app.addHook('preClose', async () => {
    closing = true;
    clearInterval(heartbeat);
    app.server.off('upgrade', onUpgrade);
    hub.stop();
    const open = [...sessions];
    for (const s of open) s.shutdown();
    // A polite close first; whoever has not answered shortly is cut off.
    const deadline = Date.now() + 500;
    while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of sessions) s.terminate();
    sessions.clear();
    wss.close();
  });

  return {
    hub,
    get clientCount() {
      return sessions.size;
    },
  };
}

/** No Origin (not a browser), the same origin, or one CORS_ORIGINS allows. */
function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed?.includes('*') || allowed?.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
