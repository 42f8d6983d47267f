/**
 * Numbered, idempotent schema migrations for the PostgreSQL history, applied at start.
 * Each runs in its own transaction together with its `schema_migrations` row; a session
 * advisory lock serialises archivers that start at the same time.
 *
 * Never edit a released migration: add a new one with the next number.
 */

import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../core/logger.js';

export type StorageMode = 'timescaledb' | 'postgresql';

export interface MigrationContext {
  /** `timescaledb` is listed in pg_available_extensions. */
  timescaleAvailable: boolean;
  log: Logger;
}

export interface Migration {
  version: number;
  name: string;
  /** Runs inside the migration's transaction; returns a note stored with the row. */
  up(client: PoolClient, ctx: MigrationContext): Promise<string | undefined>;
}

const sql =
  (text: string) =>
  async (client: PoolClient): Promise<undefined> => {
    await client.query(text);
    return undefined;
  };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'trades',
    up: sql(`
      CREATE TABLE IF NOT EXISTS trades (
        exchange    text        NOT NULL,
        symbol      text        NOT NULL,
        trade_id    bigint      NOT NULL,
        price       numeric     NOT NULL,
        size        numeric     NOT NULL,
        side        text        NOT NULL CHECK (side IN ('buy', 'sell')),
        ts          timestamptz NOT NULL,
        ts_us       bigint      NOT NULL,
        recv_ts_us  bigint      NOT NULL,
        stream_id   text,
        PRIMARY KEY (exchange, symbol, trade_id)
      );
      CREATE INDEX IF NOT EXISTS trades_market_ts_us_idx ON trades (exchange, symbol, ts_us, trade_id);
    `),
  },
  {
    version: 2,
    name: 'candles_1m',
    up: sql(`
      CREATE TABLE IF NOT EXISTS candles_1m (
        exchange        text        NOT NULL,
        symbol          text        NOT NULL,
        bucket          timestamptz NOT NULL,
        open            numeric     NOT NULL,
        high            numeric     NOT NULL,
        low             numeric     NOT NULL,
        close           numeric     NOT NULL,
        volume          numeric     NOT NULL,
        trades          int         NOT NULL,
        open_trade_id   bigint      NOT NULL,
        close_trade_id  bigint      NOT NULL,
        PRIMARY KEY (exchange, symbol, bucket)
      );
    `),
  },
  {
    version: 3,
    name: 'archive_market_stats',
    up: sql(`
      CREATE TABLE IF NOT EXISTS archive_market_stats (
        exchange       text        NOT NULL,
        symbol         text        NOT NULL,
        trades         bigint      NOT NULL,
        first_ts_us    bigint      NOT NULL,
        last_ts_us     bigint      NOT NULL,
        last_trade_id  bigint      NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (exchange, symbol)
      );
      INSERT INTO archive_market_stats (exchange, symbol, trades, first_ts_us, last_ts_us, last_trade_id)
      SELECT exchange, symbol, count(*), min(ts_us), max(ts_us), max(trade_id)
      FROM trades GROUP BY exchange, symbol
      ON CONFLICT (exchange, symbol) DO NOTHING;
    `),
  },
  {
    version: 4,
    name: 'timescaledb',
    async up(client, ctx) {
      if (!ctx.timescaleAvailable) return 'skipped: timescaledb extension not available (plain PostgreSQL)';
      // TimescaleDB may be installed but not preloaded: try, and keep plain tables on failure.
      await client.query('SAVEPOINT timescale');
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        // A hypertable's unique keys must contain its time column: the key becomes
        // (exchange, symbol, trade_id, ts). A trade's ts comes from its stream entry and never
        // changes, so ON CONFLICT DO NOTHING still drops every replayed trade.
        await client.query(`
          ALTER TABLE trades DROP CONSTRAINT IF EXISTS trades_pkey;
          ALTER TABLE trades ADD CONSTRAINT trades_pkey PRIMARY KEY (exchange, symbol, trade_id, ts);
        `);
        await client.query(
          `SELECT create_hypertable('trades', 'ts', chunk_time_interval => interval '1 day',
             migrate_data => true, if_not_exists => true)`,
        );
        await client.query(`
          CREATE MATERIALIZED VIEW IF NOT EXISTS trades_candles_1m WITH (timescaledb.continuous) AS
          SELECT exchange, symbol, time_bucket(interval '1 minute', ts) AS bucket,
                 first(price, trade_id) AS open, max(price) AS high, min(price) AS low,
                 last(price, trade_id) AS close, sum(size) AS volume, count(*) AS trades
          FROM trades
          GROUP BY exchange, symbol, time_bucket(interval '1 minute', ts)
          WITH NO DATA
        `);
        await client.query(
          `SELECT add_continuous_aggregate_policy('trades_candles_1m', start_offset => interval '1 day',
             end_offset => interval '1 minute', schedule_interval => interval '1 minute', if_not_exists => true)`,
        );
        await client.query('RELEASE SAVEPOINT timescale');
        return 'timescaledb: trades is a hypertable on ts; continuous aggregate trades_candles_1m';
      } catch (e) {
        await client.query('ROLLBACK TO SAVEPOINT timescale');
        ctx.log.warn(
          { err: (e as Error).message },
          'timescaledb is available but could not be enabled; keeping plain PostgreSQL tables',
        );
        return `skipped: timescaledb failed: ${(e as Error).message}`;
      }
    },
  },
];

/** Any 64-bit constant shared by every archiver; names the migration lock in pg_locks. */
const MIGRATION_LOCK_KEY = 7_402_190_311;

export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  storage: StorageMode;
}

export async function timescaleAvailable(client: PoolClient | Pool): Promise<boolean> {
  const r = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  return (r.rowCount ?? 0) > 0;
}

/** Whether `trades` is a TimescaleDB hypertable (else plain PostgreSQL). */
export async function storageMode(client: PoolClient | Pool): Promise<StorageMode> {
  const ext = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if ((ext.rowCount ?? 0) === 0) return 'postgresql';
  const h = await client.query(
    "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'trades'",
  );
  return (h.rowCount ?? 0) > 0 ? 'timescaledb' : 'postgresql';
}

/** Applies every migration not yet recorded in `schema_migrations`, in order. */
export async function migrate(
  pool: Pool,
  log: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const client = await pool.connect();
  const applied: number[] = [];
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    int PRIMARY KEY,
          name       text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          detail     text
        )
      `);
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const ctx: MigrationContext = { timescaleAvailable: await timescaleAvailable(client), log };
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        let detail: string | undefined;
        await client.query('BEGIN');
        try {
          detail = await m.up(client, ctx);
          await client.query('INSERT INTO schema_migrations (version, name, detail) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            detail ?? null,
          ]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`);
        }
        applied.push(m.version);
        log.info({ version: m.version, migration: m.name, detail }, 'schema migration applied');
      }
      return { applied, storage: await storageMode(client) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch((e: Error) => {
        broken = e;
      });
    }
  } finally {
    // A session that could not unlock is discarded, which releases the lock with it.
    client.release(broken);
  }
}
