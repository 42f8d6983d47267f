/**
 * Auth, CORS, oversized and malformed requests, the store going away (503), and the
 * OpenAPI document.
 */

import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { freePort, PrivateRedis, waitFor } from '../helpers/process.js';
import { type Answer, dataSet, fill, get, type Json, startApi, type TestApi } from './helpers.js';

function expectError(a: Answer, status: number, code?: string) {
  expect(a.status, a.text).toBe(status);
  expect(Object.keys(a.body).sort()).toEqual(['error', 'message']);
  expect(a.text).not.toMatch(/\n\s+at /);
  if (code) expect(a.body.error).toBe(code);
}

/** A raw HTTP exchange over a socket (for requests fetch will not send). */
function rawRequest(port: number, text: string): Promise<{ status: number; body: Json; raw: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let raw = '';
    s.on('data', (d) => {
      raw += d.toString();
    });
    s.on('error', reject);
    s.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      const bodyText = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      let body: Json;
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = undefined;
      }
      resolve({ status, body, raw });
    });
    s.write(text);
  });
}

function portOf(api: TestApi): number {
  return Number(new URL(api.base).port);
}

describe('bearer token', () => {
  let api: TestApi;
  const store = new EmbeddedStore({ maxTradesPerMarket: 10_000 });
  const token = 'the-secret-token-123';
  beforeAll(async () => {
    await fill(store, dataSet());
    api = await startApi(store, { API_TOKEN: token });
  });
  afterAll(() => api.close());

  it('refuses data routes without the right token, in the error shape', async () => {
    for (const path of [
      '/trades/BTC-USD',
      '/trades/BTC-USD/recent',
      '/ohlcv/BTC-USD',
      '/symbols/coinbase',
      '/summary',
      '/orderbook/BTC-USD',
      '/orderbook/BTC-USD/consolidated',
      '/spread/BTC-USD',
      '/docs',
      '/no/such/route',
    ]) {
      const none = await get(api.base, path);
      expectError(none, 401, 'unauthorized');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectError(
        await get(api.base, path, { authorization: 'Bearer wrong-token-123' }),
        401,
        'unauthorized',
      );
      expectError(await get(api.base, path, { authorization: `Bearer ${token}x` }), 401, 'unauthorized');
      expectError(await get(api.base, path, { authorization: `Basic ${token}` }), 401, 'unauthorized');
      expectError(await get(api.base, path, { authorization: token }), 401, 'unauthorized');
    }
  });

  it('lets the right token through (scheme in any case) and keeps /health and /metrics open', async () => {
    expect((await get(api.base, '/trades/BTC-USD', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get(api.base, '/summary', { authorization: `bearer ${token}` })).status).toBe(200);
    expect((await get(api.base, '/docs', { authorization: `Bearer ${token}` })).status).toBe(200);
    expectError(await get(api.base, '/nope', { authorization: `Bearer ${token}` }), 404, 'not_found');
    expect((await get(api.base, '/health')).status).toBe(200);
    const m = await get(api.base, '/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/http_requests_total\{method="GET",path="\/trades\/:symbol",status="401"\} \d+/);
  });
});

describe('CORS', () => {
  const store = new EmbeddedStore({ maxTradesPerMarket: 10_000 });
  beforeAll(() => fill(store, dataSet()));

  it('sends no CORS headers when CORS_ORIGINS is unset', async () => {
    const api = await startApi(store);
    try {
      const a = await get(api.base, '/summary', { origin: 'https://evil.example' });
      expect(a.status).toBe(200);
      expect(a.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${api.base}/summary`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await api.close();
    }
  });

  it('echoes exactly the configured origins, also for preflights behind a token', async () => {
    const api = await startApi(store, {
      CORS_ORIGINS: 'https://dash.example,http://localhost:5173',
      API_TOKEN: 'cors-token-12345',
    });
    try {
      const auth = { authorization: 'Bearer cors-token-12345' };
      for (const origin of ['https://dash.example', 'http://localhost:5173']) {
        const a = await get(api.base, '/summary', { ...auth, origin });
        expect(a.status).toBe(200);
        expect(a.headers.get('access-control-allow-origin')).toBe(origin);
      }
      const other = await get(api.base, '/summary', { ...auth, origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${api.base}/trades/BTC-USD`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://dash.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://dash.example');
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    } finally {
      await api.close();
    }
  });
});

describe('oversized and malformed requests', () => {
  let api: TestApi;
  const store = new EmbeddedStore({ maxTradesPerMarket: 10_000 });
  beforeAll(async () => {
    await fill(store, dataSet());
    api = await startApi(store);
  });
  afterAll(() => api.close());

  it('answers 413 for a large body on any method, in the error shape', async () => {
    const big = JSON.stringify({ x: 'y'.repeat(100_000) });
    const post = await fetch(`${api.base}/trades/BTC-USD`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(post.status).toBe(413);
    expect(await post.json()).toMatchObject({ error: 'payload_too_large', message: expect.any(String) });
    // GET with a body: refused before anything reads it.
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${api.base}/trades/BTC-USD`,
        { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': big.length } },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(big);
    });
    expect(status.status).toBe(413);
    expect(Object.keys(JSON.parse(status.body)).sort()).toEqual(['error', 'message']);
  });

  it('answers oversized headers and URLs with a JSON 431, and bad URLs with a JSON 400', async () => {
    const port = portOf(api);
    const longUrl = await rawRequest(
      port,
      `GET /trades/BTC-USD?x=${'y'.repeat(40_000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    expect(longUrl.status).toBe(431);
    expect(longUrl.body).toMatchObject({ error: 'headers_too_large', message: expect.any(String) });
    const bigHeader = await rawRequest(
      port,
      `GET /summary HTTP/1.1\r\nHost: a\r\nX-Big: ${'z'.repeat(40_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(bigHeader.status).toBe(431);
    const garbage = await rawRequest(port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(Object.keys(garbage.body).sort()).toEqual(['error', 'message']);
    expectError(await get(api.base, '/trades/%E0%A4%A'), 400, 'bad_request');
    expectError(await get(api.base, `/trades/${'A'.repeat(500)}`), 400);
    const m = await get(api.base, '/metrics');
    expect(m.text).toMatch(/http_requests_total\{method="unknown",path="unmatched",status="431"\} 2/);
    expect(m.text).toMatch(/http_requests_total\{method="GET",path="unmatched",status="400"\} 2/);
    expect(m.text).toMatch(/http_requests_total\{method="POST",path="unmatched",status="413"\} 1/);
    expect(m.text).toMatch(/http_requests_total\{method="GET",path="\/trades\/:symbol",status="413"\} 1/);
  });
});

describe('store unavailable', () => {
  it('answers 503 storage_unavailable when Redis is not there at all', async () => {
    const port = await freePort();
    const store = new RedisStore({
      url: `redis://127.0.0.1:${port}`,
      streamMaxlen: 1000,
      log: silentLogger,
      metrics: createMetrics(),
      readTimeoutMs: 500,
    });
    const connecting = store.connect();
    const api = await startApi(store);
    try {
      for (const path of [
        '/trades/BTC-USD',
        '/trades/BTC-USD?start_time=0',
        '/trades/BTC-USD/recent',
        '/ohlcv/BTC-USD',
        '/symbols/coinbase',
        '/summary',
        '/orderbook/BTC-USD',
        '/orderbook/BTC-USD/consolidated',
        '/spread/BTC-USD',
      ]) {
        expectError(await get(api.base, path), 503, 'storage_unavailable');
      }
      // Bad input is still a 400, not a 503.
      expectError(await get(api.base, '/trades/BTCUSD'), 400, 'invalid_symbol');
      const h = await get(api.base, '/health');
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ status: 'down', components: { redis: 'unhealthy' } });
    } finally {
      await api.close();
      await store.close();
      await connecting.catch(() => undefined);
    }
  });

  it('answers 503 while a running Redis is down and recovers when it is back', async () => {
    const redis = await PrivateRedis.start(true);
    const store = new RedisStore({
      url: redis.url,
      streamMaxlen: 100_000,
      log: silentLogger,
      metrics: createMetrics(),
      readTimeoutMs: 500,
    });
    await store.connect();
    let api: TestApi | undefined;
    try {
      const ds = dataSet();
      await fill(store, ds);
      api = await startApi(store);
      const base = api.base;
      const ok = await get(base, '/trades/BTC-USD?limit=5');
      expect(ok.status).toBe(200);
      await redis.stop();
      // Every data route, including one whose answer was cached before.
      for (const path of ['/trades/BTC-USD?limit=5', '/ohlcv/BTC-USD', '/summary', '/spread/BTC-USD']) {
        expectError(await get(base, path), 503, 'storage_unavailable');
      }
      expect((await get(base, '/health')).status).toBe(503);
      await redis.startProcess();
      await waitFor(
        'the API to answer again',
        async () => (await get(base, '/trades/BTC-USD?limit=5')).status === 200,
      );
      const again = await get(base, '/trades/BTC-USD?limit=5');
      expect(again.body.data).toEqual(ok.body.data);
      expect((await get(base, '/health')).status).toBe(200);
      const m = await get(base, '/metrics');
      expect(m.text).toMatch(/http_requests_total\{method="GET",path="\/trades\/:symbol",status="503"\} \d+/);
    } finally {
      await api?.close();
      await store.close();
      await redis.stop();
    }
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document listing every route with its parameters', async () => {
    const store = new EmbeddedStore({ maxTradesPerMarket: 10 });
    const api = await startApi(store);
    try {
      const a = await get(api.base, '/docs');
      expect(a.status).toBe(200);
      const doc = a.body;
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(typeof doc.info.title).toBe('string');
      expect(typeof doc.info.version).toBe('string');
      const expected: Record<string, { path?: string[]; query?: string[] }> = {
        '/health': {},
        '/metrics': {},
        '/docs': {},
        '/trades/{symbol}': { path: ['symbol'], query: ['exchange', 'start_time', 'end_time', 'limit'] },
        '/trades/{symbol}/recent': { path: ['symbol'], query: ['exchange', 'limit'] },
        '/ohlcv/{symbol}': {
          path: ['symbol'],
          query: ['exchange', 'interval', 'start_time', 'end_time', 'limit'],
        },
        '/symbols/{exchange}': { path: ['exchange'] },
        '/summary': {},
        '/orderbook/{symbol}': { path: ['symbol'], query: ['exchange', 'depth'] },
        '/orderbook/{symbol}/consolidated': { path: ['symbol'], query: ['depth'] },
        '/spread/{symbol}': { path: ['symbol'] },
      };
      expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(expected).sort());
      const refs: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === '$ref') refs.push(String(x));
            else walk(x);
          }
        }
      };
      walk(doc);
      for (const r of refs) {
        expect(r).toMatch(/^#\/components\/schemas\//);
        expect(doc.components.schemas[r.split('/').pop()!], r).toBeDefined();
      }
      for (const [path, want] of Object.entries(expected)) {
        const op = doc.paths[path].get;
        expect(op, path).toBeDefined();
        expect(typeof op.summary).toBe('string');
        const params = (op.parameters ?? []) as {
          name: string;
          in: string;
          required?: boolean;
          schema: Json;
        }[];
        expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(want.path ?? []);
        expect(
          params
            .filter((p) => p.in === 'query')
            .map((p) => p.name)
            .sort(),
        ).toEqual([...(want.query ?? [])].sort());
        for (const p of params) {
          expect(p.schema, `${path} ${p.name}`).toBeDefined();
          expect(p.required ?? false).toBe(p.in === 'path');
        }
        expect(op.responses['200'], path).toBeDefined();
        expect(typeof op.responses['200'].description).toBe('string');
        if (path !== '/metrics' && path !== '/docs') {
          expect(op.responses['200'].content['application/json'].schema, path).toBeDefined();
        }
      }
      const limit = doc.paths['/trades/{symbol}'].get.parameters.find(
        (p: { name: string }) => p.name === 'limit',
      );
      expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 10000, default: 100 });
      const interval = doc.paths['/ohlcv/{symbol}'].get.parameters.find(
        (p: { name: string }) => p.name === 'interval',
      );
      expect(interval.schema.enum).toEqual(['1m', '5m', '15m', '1h', '4h', '1d']);
      const trade = doc.paths['/trades/{symbol}'].get.responses['200'].content['application/json'].schema;
      expect(Object.keys(trade.properties.data.items.properties).sort()).toEqual(
        ['exchange', 'price', 'side', 'symbol', 'timestamp', 'trade_id', 'volume'].sort(),
      );
      expect(doc.paths['/trades/{symbol}'].get.responses['404']).toBeDefined();
    } finally {
      await api.close();
    }
  });
});
