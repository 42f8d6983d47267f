/**
 * Cross-cutting HTTP behaviour: request metrics by route template, the bearer token,
 * oversized requests, and every error path (handlers, validation, 404, fastify's own
 * framework and client errors) answered as `{"error","message"}` and counted.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { type ApiError, classifyError, type ErrorBody } from './errors.js';

/** The `path` label of requests that matched no route (keeps label cardinality bounded). */
export const UNMATCHED = 'unmatched';

/** Largest request body accepted (no route takes one). */
export const BODY_LIMIT = 16 * 1024;

type Child = { inc(): void };
type HistChild = { observe(v: number): void };

/** `http_requests_total` / `http_request_duration_ms` with the label children cached. */
export class HttpMetrics {
  private readonly counters = new Map<string, Child>();
  private readonly histograms = new Map<string, HistChild>();

  constructor(private readonly metrics: Metrics) {}

  record(method: string, path: string, status: number, durationMs: number | undefined): void {
    const key = `${method} ${path}`;
    const ckey = `${key} ${status}`;
    let c = this.counters.get(ckey);
    if (!c) {
      c = this.metrics.httpRequests.labels(method, path, String(status));
      this.counters.set(ckey, c);
    }
    c.inc();
    if (durationMs === undefined) return;
    let h = this.histograms.get(key);
    if (!h) {
      h = this.metrics.httpDuration.labels(method, path);
      this.histograms.set(key, h);
    }
    h.observe(durationMs);
  }
}

/** A constant-time check of `Authorization: Bearer <token>`. */
export function bearerChecker(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    if (typeof header !== 'string' || header.length > 1024) return false;
    const space = header.indexOf(' ');
    if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return false;
    const given = createHash('sha256')
      .update(header.slice(space + 1).trim())
      .digest();
    return timingSafeEqual(given, expected);
  };
}

const UNAUTHORIZED: ErrorBody = {
  error: 'unauthorized',
  message: 'missing or invalid token: send Authorization: Bearer <API_TOKEN>',
};

/** Info at most every 10 s (with how many were only logged at debug since), debug otherwise. */
class ThrottledInfo {
  private last = 0;
  private quiet = 0;
  constructor(
    private readonly logger: Logger,
    private readonly message: string,
  ) {}

  log(fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.last >= 10_000) {
      this.logger.info({ ...fields, similar_since_last: this.quiet }, this.message);
      this.last = now;
      this.quiet = 0;
    } else {
      this.quiet++;
      this.logger.debug(fields, this.message);
    }
  }
}

function methodLabel(method: string | undefined): string {
  return method && method.length <= 16 ? method : 'unknown';
}

export interface HttpSetup {
  metrics: Metrics;
  log: Logger;
  token: string | undefined;
  cors: boolean;
}

/** Installs hooks and error handlers on the root instance (before any route). */
export function installHttpBehaviour(app: FastifyInstance, s: HttpSetup): HttpMetrics {
  const httpMetrics = new HttpMetrics(s.metrics);
  const log = s.log;
  const storeDown = new ThrottledInfo(log, 'request failed: store unavailable');

  app.addHook('onResponse', (req, reply, done) => {
    httpMetrics.record(req.method, req.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime);
    done();
  });

  // Bodies are never used: refuse big ones before anything else (GET bodies are not even read).
  app.addHook('onRequest', (req, reply, done) => {
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > BODY_LIMIT) {
      log.debug({ method: req.method, url: clip(req.url), length }, 'request refused: body too large');
      reply
        .code(413)
        .header('connection', 'close')
        .send({ error: 'payload_too_large', message: `request body over ${BODY_LIMIT} bytes` });
      return;
    }
    done();
  });

  if (s.token !== undefined) {
    const check = bearerChecker(s.token);
    const cors = s.cors;
    app.addHook('onRequest', (req, reply, done) => {
      const config = req.routeOptions.config as { public?: boolean } | undefined;
      if (config?.public === true || (cors && req.method === 'OPTIONS') || check(req.headers.authorization)) {
        done();
        return;
      }
      log.info(
        { method: req.method, url: clip(req.url), ip: req.ip },
        'request refused: missing or wrong token',
      );
      reply.code(401).header('www-authenticate', 'Bearer realm="alphapulse"').send(UNAUTHORIZED);
    });
  }

  app.setErrorHandler((err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const c = classifyError(err);
    const fields = { method: req.method, url: clip(req.url), status: c.status, error: c.body.error };
    if (c.bug) log.error({ ...fields, err }, 'unexpected error while answering a request');
    else if (c.status === 503) storeDown.log({ ...fields, reason: (err as Error).message });
    else log.debug({ ...fields, message: c.body.message }, 'request rejected');
    if (c.status === 413) reply.header('connection', 'close');
    reply.code(c.status).send(c.body);
  });

  app.setNotFoundHandler((req, reply) => {
    log.debug({ method: req.method, url: clip(req.url) }, 'request rejected: no such route');
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${methodLabel(req.method)} ${clip(req.url.split('?')[0] ?? '')}`,
    });
  });

  return httpMetrics;
}

/** fastify's `frameworkErrors`: malformed URLs and the like, which bypass the hooks. */
export function frameworkErrorHandler(getMetrics: () => HttpMetrics | undefined, log: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    const status = 400;
    const body: ErrorBody = {
      error: 'bad_request',
      message:
        err.code === 'FST_ERR_BAD_URL'
          ? 'malformed URL (bad percent-encoding)'
          : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'a path segment is too long'
            : 'malformed request',
    };
    log.debug({ method: req.method, code: err.code }, 'request rejected by the router');
    getMetrics()?.record(methodLabel(req.method), UNMATCHED, status, undefined);
    reply.code(status).send(body);
  };
}

/** Node's client errors (header overflow, garbage on the socket): a raw JSON answer. */
export function clientErrorHandler(getMetrics: () => HttpMetrics | undefined, log: Logger) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify(
      status === 431
        ? { error: 'headers_too_large', message: 'request line and headers are too large' }
        : status === 408
          ? { error: 'request_timeout', message: 'request not received in time' }
          : { error: 'bad_request', message: 'malformed HTTP request' },
    );
    log.debug({ code: err.code, status }, 'request rejected by the HTTP parser');
    getMetrics()?.record('unknown', UNMATCHED, status, undefined);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
