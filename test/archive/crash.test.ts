/**
 * Crash safety of `alphapulse archive` as a real process (run `npm run build` first):
 * SIGKILL mid-run while trades keep arriving, restart under the same consumer name (own
 * pending entries), then a different consumer that must XAUTOCLAIM the dead one's entries.
 * Real Redis database 12, a private PostgreSQL database.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryReader } from '../../src/archive/history.js';
import { createPool } from '../../src/archive/pg.js';
import { silentLogger } from '../../src/core/logger.js';
import { marketKey, type Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import { keys } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { CLI, type Proc, spawnCli, waitFor } from '../helpers/process.js';
import { freshRedisUrl, redisClient } from '../helpers/redis.js';
import {
  archivedTrades,
  createTestDatabase,
  type MarketSpec,
  recomputeCandles,
  rng,
  type TestDatabase,
  TradeGen,
  totalArchived,
} from './helpers.js';

const MARKETS: MarketSpec[] = [
  { exchange: 'coinbase', symbol: 'BTC-USD', base: 60000, priceDecimals: 2 },
  { exchange: 'kraken', symbol: 'BTC-USD', base: 60010, priceDecimals: 1 },
  { exchange: 'kraken', symbol: 'ETH-USD', base: 3000, priceDecimals: 2 },
];

/** Keeps ingesting small batches into every market through the real write path until stopped. */
class Feeder {
  readonly written = new Map<string, Trade[]>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly gens = MARKETS.map((m, i) => new TradeGen(m, 100 + i));
  private readonly rand = rng(5);

  constructor(private readonly store: RedisStore) {
    for (const m of MARKETS) this.written.set(marketKey(m.exchange, m.symbol), []);
  }

  get total(): number {
    let n = 0;
    for (const l of this.written.values()) n += l.length;
    return n;
  }

  async start(): Promise<void> {
    for (const m of MARKETS) await this.store.addSymbol(m.exchange, m.symbol);
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await Promise.all(
          this.gens.map(async (g) => {
            const batch = g.next(1 + Math.floor(this.rand() * 20));
            const r = await this.store.ingestTrades(
              g.spec.exchange,
              g.spec.symbol,
              batch,
              aggregateByMinute(batch),
            );
            if (r.written !== batch.length) throw new Error('ingest refused');
            this.written.get(marketKey(g.spec.exchange, g.spec.symbol))!.push(...batch);
          }),
        );
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

type Redis = Awaited<ReturnType<typeof redisClient>>;

/** Pending entries of one consumer as `exchange:SYMBOL/streamId` (ids repeat across streams). */
async function pendingOf(r: Redis, consumer: string): Promise<string[]> {
  const ids: string[] = [];
  for (const m of MARKETS) {
    const prefix = `${marketKey(m.exchange, m.symbol)}/`;
    const rows = (await r.sendCommand([
      'XPENDING',
      keys.trades(m.exchange, m.symbol),
      'archiver',
      '-',
      '+',
      '100000',
      consumer,
    ])) as [string, string, number, number][];
    ids.push(...rows.map((x) => prefix + x[0]));
  }
  return ids;
}

/**
 * Makes `consumer` hold `count` new entries of every market (as if it had read them and died
 * before committing). The feeder keeps adding, so it waits for enough to arrive.
 */
async function readAs(r: Redis, consumer: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (const m of MARKETS) {
    const k = keys.trades(m.exchange, m.symbol);
    const prefix = `${marketKey(m.exchange, m.symbol)}/`;
    let got = 0;
    while (got < count) {
      const reply = (await r.sendCommand([
        'XREADGROUP',
        'GROUP',
        'archiver',
        consumer,
        'COUNT',
        String(count - got),
        'STREAMS',
        k,
        '>',
      ])) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      ids.push(...entries.map((e) => prefix + e[0]));
      got += entries.length;
      if (got < count) await new Promise((res) => setTimeout(res, 10));
    }
  }
  return ids;
}

/** How many of the entries (`exchange:SYMBOL/streamId`) are archived. */
async function archivedStreamIds(pool: pg.Pool, ids: string[]): Promise<number> {
  const parts = ids.map((x) => /^([^:]+):([^/]+)\/(.+)$/.exec(x)!);
  const r = await pool.query(
    `SELECT count(*)::int AS n FROM trades t
     JOIN unnest($1::text[], $2::text[], $3::text[]) AS u(exchange, symbol, stream_id)
       ON t.exchange = u.exchange AND t.symbol = u.symbol AND t.stream_id = u.stream_id`,
    [parts.map((p) => p[1]), parts.map((p) => p[2]), parts.map((p) => p[3])],
  );
  return r.rows[0].n as number;
}

function json(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
}

describe('archive process crash safety', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let redisUrl: string;
  let store: RedisStore;
  let r: Redis;
  const procs: Proc[] = [];
  const feeders: Feeder[] = [];

  beforeAll(async () => {
    if (!existsSync(join(CLI, '../../dist/archive/archiver.js'))) {
      throw new Error('dist/ is missing the archiver: run `npm run build` first');
    }
    db = await createTestDatabase();
    pool = createPool(db.url, { max: 2 });
    redisUrl = await freshRedisUrl(12);
    store = new RedisStore({
      url: redisUrl,
      streamMaxlen: 1_000_000,
      log: silentLogger,
      metrics: createMetrics(),
    });
    await store.connect();
    r = await redisClient(redisUrl);
  });

  afterAll(async () => {
    for (const f of feeders) await f.stop().catch(() => undefined);
    for (const p of procs) await p.kill('SIGKILL');
    await r?.close();
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  function archive(name: string, env: Record<string, string> = {}): Proc {
    const p = spawnCli(
      ['archive'],
      {
        REDIS_URL: redisUrl,
        REDIS_CLUSTER_NODES: '',
        DATABASE_URL: db.url,
        EXCHANGES: 'coinbase,kraken',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        ARCHIVE_BATCH_SIZE: '50',
        ARCHIVE_CLAIM_INTERVAL_MS: '300',
        ...env,
      },
      name,
    );
    procs.push(p);
    return p;
  }

  it('archives every trade exactly once across SIGKILLs, restarts and a claimed dead consumer', async () => {
    const feeder = new Feeder(store);
    feeders.push(feeder);
    await feeder.start();

    // 1. Default consumer name (hostname-pid); killed mid-run.
    const a = archive('archive-a', { ARCHIVE_CLAIM_IDLE_MS: '600000' });
    const deadName = String(json((await a.waitForLine(/archiver started/)).input ?? '').consumer);
    expect(deadName).toMatch(/-\d+$/);
    await waitFor('archive-a to make progress', async () => (await totalArchived(pool)) > 1500, 30_000, 20);
    await a.kill('SIGKILL');

    // 2. Restart under the same name (a container restarts as pid 1): it must finish its own
    //    pending entries. Make sure there are some: entries read but never committed.
    const ownPending = await readAs(r, deadName, 30);
    expect(ownPending.length).toBe(30 * MARKETS.length);
    const before = await totalArchived(pool);
    const a2 = archive('archive-a2', { ARCHIVE_CONSUMER: deadName, ARCHIVE_CLAIM_IDLE_MS: '600000' });
    await a2.waitForLine(/archiver started/);
    await waitFor(
      'own pending entries re-processed',
      async () => {
        const still = new Set(await pendingOf(r, deadName));
        const n = await archivedStreamIds(pool, ownPending);
        return ownPending.every((id) => !still.has(id)) && n === ownPending.length;
      },
      30_000,
      20,
    );
    await waitFor(
      'archive-a2 to make progress',
      async () => (await totalArchived(pool)) > before + 1500,
      30_000,
      20,
    );
    await a2.kill('SIGKILL');

    // 3. The dead consumer holds entries nobody will ever ack unless they are claimed.
    await readAs(r, deadName, 25);
    const orphaned = await pendingOf(r, deadName);
    expect(orphaned.length).toBeGreaterThanOrEqual(25 * MARKETS.length);
    const b = archive('archive-b', { ARCHIVE_CONSUMER: 'crash-b', ARCHIVE_CLAIM_IDLE_MS: '500' });
    await b.waitForLine(/archiver started/);
    const claimedLine = json(
      (await b.waitForLine(/claimed and archived pending entries of idle consumers/, 30_000)).input ?? '',
    );
    expect(Number(claimedLine.claimed)).toBeGreaterThan(0);
    expect(Object.keys(claimedLine.pending_by_consumer as object)).toContain(deadName);
    await waitFor(
      'the dead consumer has nothing pending',
      async () => (await pendingOf(r, deadName)).length === 0,
    );
    // XAUTOCLAIM moves an entry to archive-b before archive-b commits it (one market at a
    // time, one log line per market): wait for the commits, then check every one is there.
    await waitFor(
      'the orphaned entries archived',
      async () => (await archivedStreamIds(pool, orphaned)) >= orphaned.length,
    );
    expect(await archivedStreamIds(pool, orphaned)).toBe(orphaned.length);

    // Trades kept coming the whole time; stop them and let the archiver catch up.
    await feeder.stop();
    const total = feeder.total;
    await waitFor('every trade archived', async () => (await totalArchived(pool)) === total, 60_000).catch(
      async (e: Error) => {
        // Say which trades are missing, per market, before failing.
        const detail: string[] = [];
        for (const m of MARKETS) {
          const want = feeder.written.get(marketKey(m.exchange, m.symbol))!;
          const have = new Set(
            (await archivedTrades(pool, m.exchange, m.symbol)).map((x) => Number(x.trade_id)),
          );
          const missing = want.filter((t) => !have.has(t.id)).map((t) => t.id);
          detail.push(
            `${m.exchange}:${m.symbol} missing ${missing.length}: ${missing.slice(0, 20).join(',')}`,
          );
        }
        throw new Error(`${e.message}\n${detail.join('\n')}`);
      },
    );

    // Exactly once: same count and the same id set as the streams, with the same fields.
    for (const m of MARKETS) {
      const want = feeder.written.get(marketKey(m.exchange, m.symbol))!;
      const inRedis = await store.latestTrades(m.exchange, m.symbol, 1_000_000);
      expect(inRedis.length).toBe(want.length);
      const rows = await archivedTrades(pool, m.exchange, m.symbol);
      expect(rows.length).toBe(want.length);
      expect(new Set(rows.map((x) => Number(x.trade_id)))).toEqual(new Set(want.map((t) => t.id)));
      expect(
        rows.map((x) => [Number(x.trade_id), x.price, x.size, x.side, Number(x.ts_us), x.stream_id]),
      ).toEqual(inRedis.map((t) => [t.id, t.price, t.size, t.side, t.ts, t.streamId]));
      // Candles exact although batches committed out of order (claimed entries came late).
      expect(await new HistoryReader(pool).candles(m.exchange, m.symbol, 0, 4_000_000_000)).toEqual(
        recomputeCandles(want),
      );
    }

    // The lag metric of the running process reaches 0.
    const url = String(json(b.lines.find((l) => l.includes('archive metrics and health listening'))!).url);
    await waitFor('archive_lag_entries 0 on /metrics', async () => {
      const text = await (await fetch(url)).text();
      const lags = text.split('\n').filter((l) => l.startsWith('archive_lag_entries{'));
      return lags.length === MARKETS.length && lags.every((l) => l.endsWith(' 0'));
    });

    // SIGTERM: finish, exit 0.
    expect(await b.kill('SIGTERM')).toBe(0);
  }, 180_000);

  it('refuses to start without DATABASE_URL or without Redis (exit 2, one line)', async () => {
    const noDb = spawnCli(['archive'], { REDIS_URL: redisUrl, DATABASE_URL: '' }, 'no-db');
    expect(await noDb.exited).toBe(2);
    expect(noDb.lines).toEqual([expect.stringMatching(/^alphapulse: archive needs DATABASE_URL/)]);
    const noRedis = spawnCli(
      ['archive'],
      { REDIS_URL: '', REDIS_CLUSTER_NODES: '', DATABASE_URL: db.url },
      'no-redis',
    );
    expect(await noRedis.exited).toBe(2);
    expect(noRedis.lines).toEqual([
      expect.stringMatching(/^alphapulse: archive needs REDIS_URL or REDIS_CLUSTER_NODES/),
    ]);
  });
});
