/**
 * The trade writer pipelines batches under backlog: several in flight per market, yet
 * every trade stored exactly once and in order, also when batches fail mid-pipeline
 * (connections killed on the real Redis; injected failures before and after the write).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, type MarketQueue, TradeWriter } from '../../src/collector/trade-writer.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { IngestResult, Store } from '../../src/store/store.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0) * 1000;

function makeTrades(n: number): Trade[] {
  const out: Trade[] = [];
  for (let id = 1; id <= n; id++) {
    out.push({
      exchange: 'coinbase',
      symbol: 'BTC-USD',
      id,
      price: (60000 + (id % 977) / 100).toFixed(2),
      size: '0.01',
      side: id % 2 ? 'buy' : 'sell',
      ts: T0 + id * 1000,
      recvTs: T0 + id * 1000 + 100,
    });
  }
  return out;
}

/** Feeds trades over event-loop turns, a socket's worth at a time, as the collector does. */
async function feed(writer: TradeWriter, q: MarketQueue, trades: Trade[], perTurn = 500): Promise<void> {
  for (let i = 0; i < trades.length; i += perTurn) {
    for (const t of trades.slice(i, i + perTurn)) writer.enqueue(q, t);
    await new Promise((r) => setImmediate(r));
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function expectStoredOnce(store: Store, n: number): Promise<void> {
  const stats = await store.marketStats('coinbase', 'BTC-USD');
  expect(stats?.count).toBe(n);
  expect(stats?.lastTradeId).toBe(n);
  const stored = await store.tradesInRange('coinbase', 'BTC-USD', 0, Number.MAX_SAFE_INTEGER, n + 10);
  expect(stored.length).toBe(n);
  const bad = stored.findIndex((t, i) => t.id !== i + 1);
  expect(bad).toBe(-1);
  const candles = await store.candles('coinbase', 'BTC-USD', 0, Number.MAX_SAFE_INTEGER);
  expect(candles.reduce((s, c) => s + c.n, 0)).toBe(n);
}

/** A real embedded store with failures injected: before the write, or after it (reply lost). */
class FlakyStore extends EmbeddedStore {
  calls = 0;
  readonly results: number[] = [];
  override async ingestTrades(...args: Parameters<Store['ingestTrades']>): Promise<IngestResult> {
    const call = ++this.calls;
    if (call % 7 === 0) throw new Error('injected: not written');
    const r = await super.ingestTrades(...args);
    this.results.push(r.written);
    if (call % 11 === 0) throw new Error('injected: written, reply lost');
    return r;
  }
}

describe('trade writer pipelining', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  const kinds: [string, () => Promise<Store>][] = [
    [
      'redis',
      async () =>
        new RedisStore({
          url: await freshRedisUrl(2),
          streamMaxlen: 1_000_000,
          log: silentLogger,
          metrics: createMetrics(),
        }),
    ],
    ['embedded', async () => new EmbeddedStore({ maxTradesPerMarket: 1_000_000 })],
  ];
  for (const [kind, make] of kinds) {
    it(`${kind}: a backlog goes out as several batches in flight, each trade stored once, in order`, async () => {
      const store = await make();
      stores.push(store);
      await store.connect();
      let maxInFlight = 0;
      let batches = 0;
      const writer = new TradeWriter({
        store,
        bufferSize: 50,
        batchTimeoutMs: 0,
        metrics: createMetrics(),
        log: silentLogger,
        onWritten: () => {
          batches++;
          // This batch plus those still in flight behind it.
          maxInFlight = Math.max(maxInFlight, q.inFlight + 1);
        },
      });
      const q = writer.market('coinbase', 'BTC-USD');
      await feed(writer, q, makeTrades(20_000));
      await until('the backlog to be written', () => writer.pending === 0);
      expect(maxInFlight).toBeGreaterThan(1);
      expect(maxInFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      expect(batches).toBeGreaterThanOrEqual(20_000 / 50);
      await expectStoredOnce(store, 20_000);
    });
  }

  it('redis: connections killed mid-pipeline lose nothing and write nothing twice', async () => {
    const url = await freshRedisUrl(2);
    const store = new RedisStore({
      url,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    });
    stores.push(store);
    await store.connect();
    const metrics = createMetrics();
    const writer = new TradeWriter({ store, bufferSize: 50, batchTimeoutMs: 0, metrics, log: silentLogger });
    const q = writer.market('coinbase', 'BTC-USD');
    const admin = await redisClient(url);
    let kills = 0;
    const killer = setInterval(() => {
      if (kills >= 6) return;
      kills++;
      void admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']).catch(() => {});
    }, 25);
    try {
      await feed(writer, q, makeTrades(30_000), 300);
      await until('every trade to be written after the kills', () => writer.pending === 0 && kills >= 6);
    } finally {
      clearInterval(killer);
      await admin.close();
    }
    await expectStoredOnce(store, 30_000);
  });

  it('batches failing before and after their write: refused successors are re-sent, nothing lost or doubled', async () => {
    const store = new FlakyStore({ maxTradesPerMarket: 1_000_000 });
    stores.push(store);
    await store.connect();
    const metrics = createMetrics();
    const writer = new TradeWriter({ store, bufferSize: 40, batchTimeoutMs: 0, metrics, log: silentLogger });
    const q = writer.market('coinbase', 'BTC-USD');
    await feed(writer, q, makeTrades(12_000), 400);
    await until('every trade to be written despite the failures', () => writer.pending === 0);
    // Batches behind a failed one were refused by the store (chainAfter), not written ahead of it.
    expect(store.results.filter((w) => w === -2).length).toBeGreaterThan(0);
    await expectStoredOnce(store, 12_000);
    const processed = (await metrics.registry.getSingleMetric('trades_processed_total')?.get())?.values[0]
      ?.value;
    const duplicates = (await metrics.registry.getSingleMetric('trades_duplicate_total')?.get())?.values[0]
      ?.value;
    // Lost replies make their trades come back as duplicates: both counters add up to the batch.
    expect(processed).toBeGreaterThan(0);
    expect((processed ?? 0) + (duplicates ?? 0)).toBeGreaterThanOrEqual(12_000);
    expect(processed).toBeLessThanOrEqual(12_000);
  });
});
