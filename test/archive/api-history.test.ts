/**
 * The API answers ranges older than the Redis retention from the PostgreSQL history,
 * identical in shape and values to what Redis answered for the same trades.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../src/api/server.js';
import { createArchiver } from '../../src/archive/archiver.js';
import { HistoryReader } from '../../src/archive/history.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { minuteBucket } from '../../src/store/aggregate.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { waitFor } from '../helpers/process.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';
import { createTestDatabase, ingest, rng, T0, type TestDatabase, TradeGen } from './helpers.js';

const EX = 'coinbase';
const SYM = 'BTC-USD';

describe('API over Redis + PostgreSQL history', () => {
  let db: TestDatabase;
  let redisUrl: string;
  let store: RedisStore;
  let history: HistoryReader;
  let app: FastifyInstance;
  let trades: Trade[];

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as Record<string, unknown>;
    delete body.processing_time_ms;
    return body;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    redisUrl = await freshRedisUrl(5);
    store = new RedisStore({
      url: redisUrl,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    });
    await store.connect();
    trades = new TradeGen({ exchange: EX, symbol: SYM, base: 60000, priceDecimals: 2 }, 42, 5000, T0).next(
      3000,
    );
    await ingest(store, trades, rng(1));
    const config = loadConfig({ env: { REDIS_URL: redisUrl, DATABASE_URL: db.url, EXCHANGES: 'coinbase' } });
    const archiver = createArchiver(config, {
      log: silentLogger,
      metrics: createMetrics(),
      lagIntervalMs: 100,
    });
    await archiver.start();
    await waitFor('everything archived', async () => {
      const counts = await HistoryReader.fromUrl(db.url).counts();
      return counts[0]?.count === trades.length;
    });
    await archiver.stop();
    history = HistoryReader.fromUrl(db.url);
  });

  afterAll(async () => {
    await app?.close();
    await history?.close();
    await store?.close();
    await db?.drop();
  });

  it('gives the same answers once Redis no longer holds the older trades', async () => {
    const config = loadConfig({ env: { REDIS_URL: redisUrl, EXCHANGES: 'coinbase,kraken' } });
    const s = (us: number) => (us / 1e6).toFixed(6);
    const early = `/trades/${SYM}?exchange=${EX}&start_time=${s(trades[100]!.ts)}&end_time=${s(trades[900]!.ts)}&limit=10000`;
    const across = `/trades/${SYM}?exchange=${EX}&start_time=${s(trades[1500]!.ts)}&end_time=${s(trades[2700]!.ts)}&limit=10000`;
    const capped = `/trades/${SYM}?exchange=${EX}&start_time=${s(trades[0]!.ts)}&limit=700`;
    const bars = `/ohlcv/${SYM}?exchange=${EX}&interval=5m&start_time=${s(T0)}&end_time=${s(trades.at(-1)!.ts)}&limit=10000`;
    const minutes = `/ohlcv/${SYM}?exchange=${EX}&interval=1m&limit=10000`;

    // 1. Redis holds everything: these are the reference answers.
    app = await buildApiServer({ config, store, metrics: createMetrics(), log: silentLogger });
    const ref = {
      early: await get(early),
      across: await get(across),
      capped: await get(capped),
      bars: await get(bars),
      minutes: await get(minutes),
    };
    expect((ref.minutes.data as unknown[]).length).toBeGreaterThan(3);
    expect((ref.early.data as unknown[]).length).toBe(801);
    await app.close();

    // 2. Retention: only the newest 1,000 trades stay in the stream.
    const c = await redisClient(redisUrl);
    await c.xTrim(`trades:{${EX}:${SYM}}`, 'MAXLEN', 1000);
    expect(await c.xLen(`trades:{${EX}:${SYM}}`)).toBe(1000);
    await c.close();
    app = await buildApiServer({ config, store, metrics: createMetrics(), log: silentLogger, history });
    expect(await get(early)).toEqual(ref.early); // entirely from PostgreSQL
    expect(await get(across)).toEqual(ref.across); // PostgreSQL then Redis
    expect(await get(capped)).toEqual(ref.capped);
    expect(await get(bars)).toEqual(ref.bars);
    // Without the history the old range is simply gone from Redis.
    const noHistory = await buildApiServer({ config, store, metrics: createMetrics(), log: silentLogger });
    const res = await noHistory.inject({ method: 'GET', url: early });
    expect((res.json() as { data: unknown[] }).data.length).toBe(0);

    // 2b. Candle retention deleted Redis's older candles: the same bars, the older minutes
    //     now from PostgreSQL; without the history, bars start where the candles do.
    const cut = minuteBucket(trades[1500]!.ts);
    expect(await store.trimCandles(EX, SYM, cut)).toBeGreaterThan(0);
    expect(await get(minutes)).toEqual(ref.minutes);
    expect(await get(bars)).toEqual(ref.bars);
    const recentOnly = (await noHistory.inject({ method: 'GET', url: minutes })).json() as {
      data: { timestamp: number }[];
    };
    const refMinutes = ref.minutes.data as { timestamp: number }[];
    expect(recentOnly.data).toEqual(refMinutes.filter((b) => b.timestamp >= cut));
    await noHistory.close();
    await app.close();

    // 3. Redis loses everything (restart without persistence) and gets only newer trades:
    //    candles before that come from PostgreSQL, the summary counts the archive too.
    const c2 = await redisClient(redisUrl);
    await c2.flushDb();
    await c2.close();
    await ingest(store, trades.slice(2500), rng(2));
    app = await buildApiServer({ config, store, metrics: createMetrics(), log: silentLogger, history });
    expect(await get(bars)).toEqual(ref.bars);
    expect(await get(early)).toEqual(ref.early);
    const summary = await get('/summary');
    expect(summary.total_records).toBe(3000);
    expect(summary.archived_records).toBe(3000);
    expect(summary.record_count_by_symbol).toEqual({ 'coinbase:BTC-USD': 3000 });
    expect((summary.date_range as { start: number }).start).toBe(trades[0]!.ts / 1e6);
  });
});
