/**
 * Archive throughput on this machine (not a test; nothing is asserted):
 *
 *   npx vite-node test/archive/throughput.ts [trades per market, default 50000]
 *
 * Fills Redis database 11 with 4 markets through the real write path, then measures
 * (a) PostgreSQL alone: writeBatch of pre-built rows, and (b) the whole archiver
 * (XREADGROUP -> one transaction per round -> XACK) from a fresh group and database, for a
 * few batch sizes. Each run uses its own private PostgreSQL database, dropped at the end.
 */

import { Archiver } from '../../src/archive/archiver.js';
import { migrate } from '../../src/archive/migrations.js';
import { createPool } from '../../src/archive/pg.js';
import { type ArchiveRow, writeBatch } from '../../src/archive/writer.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import { RedisLink } from '../../src/store/redis/link.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { freshRedisUrl } from '../helpers/redis.js';
import { createTestDatabase, type MarketSpec, metricSum, TradeGen, totalArchived } from './helpers.js';

const PER_MARKET = Number(process.argv[2] ?? 50_000);
const MARKETS: MarketSpec[] = [
  { exchange: 'coinbase', symbol: 'BTC-USD', base: 60000, priceDecimals: 2 },
  { exchange: 'coinbase', symbol: 'ETH-USD', base: 3000, priceDecimals: 2 },
  { exchange: 'kraken', symbol: 'BTC-USD', base: 60010, priceDecimals: 1 },
  { exchange: 'kraken', symbol: 'SOL-EUR', base: 95.5, priceDecimals: 4 },
];

async function main() {
  const redisUrl = await freshRedisUrl(11);
  const store = new RedisStore({
    url: redisUrl,
    streamMaxlen: 10_000_000,
    log: silentLogger,
    metrics: createMetrics(),
  });
  await store.connect();
  const all: Trade[] = [];
  let t = performance.now();
  for (const [i, spec] of MARKETS.entries()) {
    const trades = new TradeGen(spec, 1 + i).next(PER_MARKET);
    await store.addSymbol(spec.exchange, spec.symbol);
    for (let j = 0; j < trades.length; j += 1000) {
      const batch = trades.slice(j, j + 1000);
      await store.ingestTrades(spec.exchange, spec.symbol, batch, aggregateByMinute(batch));
    }
    all.push(...trades);
  }
  const total = all.length;
  console.log(`redis ingest: ${total} trades in ${((performance.now() - t) / 1000).toFixed(2)} s`);

  // (a) PostgreSQL only.
  for (const size of [1000, 5000]) {
    const db = await createTestDatabase();
    const pool = createPool(db.url, { max: 2 });
    await migrate(pool, silentLogger);
    const rows: ArchiveRow[] = all.map((x, i) => ({ ...x, streamId: `1-${i}` }));
    t = performance.now();
    for (let i = 0; i < rows.length; i += size) await writeBatch(pool, rows.slice(i, i + size));
    const s = (performance.now() - t) / 1000;
    console.log(
      `postgres writeBatch, ${size} rows/transaction: ${Math.round(total / s)} rows/s (${s.toFixed(2)} s)`,
    );
    await pool.end();
    await db.drop();
  }

  // (b) The archiver end to end, from a fresh consumer group each time.
  for (const batchSize of [250, 1000, 2500]) {
    const db = await createTestDatabase();
    const pool = createPool(db.url, { max: 4 });
    await migrate(pool, silentLogger);
    const link = new RedisLink({ url: redisUrl, log: silentLogger, name: 'bench' });
    await link.connect();
    const a = new Archiver({
      redis: link,
      pool,
      exchanges: ['coinbase', 'kraken'],
      metrics: createMetrics(),
      log: silentLogger,
      group: `bench_${batchSize}`,
      consumer: 'bench',
      batchSize,
      lagIntervalMs: 60_000,
    });
    t = performance.now();
    await a.start();
    // Poll the in-process counter (a count(*) every few ms would compete with the writer).
    while ((await metricSum(a.metrics.trades)) < total) await new Promise((r) => setTimeout(r, 5));
    const s = (performance.now() - t) / 1000;
    await a.stop();
    if ((await totalArchived(pool)) !== total) throw new Error('row count mismatch');
    const { values } = await a.metrics.batchDuration.get();
    const count = values.find((v) => v.metricName === 'archive_batch_duration_seconds_count')?.value ?? 0;
    console.log(
      `archiver, batchSize ${batchSize}/market (${batchSize * MARKETS.length} rows/transaction max): ` +
        `${Math.round(total / s)} rows/s (${s.toFixed(2)} s, ${count} batches)`,
    );
    await link.close();
    await pool.end();
    await db.drop();
  }
  await store.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
