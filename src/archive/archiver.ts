/**
 * The history writer: Redis trade streams -> PostgreSQL, through a Redis consumer group.
 *
 * - Markets come from the `symbols:{exchange}` sets (re-read periodically); each market's
 *   stream gets the group `archiver` (created at `0`, so what Redis still holds is archived).
 * - Every round reads each market with XREADGROUP (one command per key, so it works on a
 *   Redis Cluster too), writes everything read in ONE PostgreSQL transaction (idempotent:
 *   replays insert nothing) and XACKs only after COMMIT. A crash between commit and ack
 *   re-delivers entries that then insert nothing.
 * - At start, and after any failure, a market first re-reads this consumer's own pending
 *   entries (XREADGROUP id 0) before asking for new ones (`>`).
 * - At start and periodically, XAUTOCLAIM takes over entries idle longer than
 *   `claimMinIdleMs` (consumers that died mid-batch) and archives them first.
 */

import { hostname } from 'node:os';
import type { Pool } from 'pg';
import type { Config } from '../core/config.js';
import { isPlainDecimal } from '../core/decimal.js';
import { type Logger, OncePerKind } from '../core/logger.js';
import { tryParseSymbol } from '../core/symbols.js';
import { type Exchange, marketKey } from '../core/types.js';
import { type ArchiveMetrics, archiveMetrics } from '../metrics/archive-metrics.js';
import type { Metrics } from '../metrics/registry.js';
import { decodeTrade, type RawEntry } from '../store/codec.js';
import { keys } from '../store/keys.js';
import { RedisLink } from '../store/redis/link.js';
import { migrate, type StorageMode } from './migrations.js';
import { createPool, describeDatabase } from './pg.js';
import { type ArchiveRow, writeBatch } from './writer.js';

export const ARCHIVE_GROUP = 'archiver';

/** `hostname-pid`: unique per live process; a restarted container (pid 1) reuses it. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}`;
}

/** An entry as XREADGROUP / XAUTOCLAIM return it; fields are null once the entry was trimmed. */
type GroupEntry = [id: string, fields: string[] | null];
type ReadReply = [key: string, entries: GroupEntry[]][] | null;

interface Market {
  exchange: Exchange;
  symbol: string;
  key: string;
  labels: { exchange: Exchange; symbol: string };
  /** `>` = new entries; anything else = re-reading own pending entries after this id. */
  cursor: string;
  /** The group must be (re)created before the next read (new market, or NOGROUP). */
  needsGroup: boolean;
}

export interface ArchiverOptions {
  redis: RedisLink;
  pool: Pool;
  exchanges: readonly Exchange[];
  /** The process's Metrics (or anything with its prom-client `registry`). */
  metrics: Pick<Metrics, 'registry'>;
  log: Logger;
  group?: string;
  /** Default `hostname-pid`. */
  consumer?: string;
  /** Most entries read per market per round (default 1000). */
  batchSize?: number;
  /** Entries pending longer than this are taken over with XAUTOCLAIM (default 30 s). */
  claimMinIdleMs?: number;
  /** How often to look for idle pending entries (default 15 s). */
  claimIntervalMs?: number;
  /** How often to re-read the `symbols:{exchange}` sets (default 10 s). */
  discoverIntervalMs?: number;
  /** How often to refresh `archive_lag_entries` (default 1 s). */
  lagIntervalMs?: number;
  /** Wait between reads when every stream is drained (default 100 ms). */
  pollIntervalMs?: number;
  /**
   * Other consumers with nothing pending and idle this long are removed (default 1 h; Redis
   * >= 7.2 only, where idle counts every read attempt).
   */
  consumerExpiryMs?: number;
  /** Longest stop() waits for the batch in flight before closing anyway (default 3.5 s). */
  stopTimeoutMs?: number;
  /** Close `redis` and `pool` in stop() (set by createArchiver, which opened them). */
  ownsConnections?: boolean;
}

export class Archiver {
  readonly group: string;
  readonly consumer: string;
  readonly metrics: ArchiveMetrics;
  private readonly markets = new Map<string, Market>();
  private readonly batchSize: number;
  private readonly claimMinIdleMs: number;
  private readonly claimIntervalMs: number;
  private readonly discoverIntervalMs: number;
  private readonly lagIntervalMs: number;
  private readonly pollIntervalMs: number;
  private readonly consumerExpiryMs: number;
  private readonly stopTimeoutMs: number;
  private readonly once: OncePerKind;
  private loop: Promise<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lagRunning: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private schema: StorageMode | undefined;
  private nextDiscover = 0;
  private nextClaim = 0;
  private lastWarn = { message: '', at: 0 };

  constructor(private readonly o: ArchiverOptions) {
    this.group = o.group ?? ARCHIVE_GROUP;
    this.consumer = o.consumer ?? defaultConsumerName();
    this.metrics = archiveMetrics(o.metrics.registry);
    this.batchSize = o.batchSize ?? 1000;
    this.claimMinIdleMs = o.claimMinIdleMs ?? 30_000;
    this.claimIntervalMs = o.claimIntervalMs ?? 15_000;
    this.discoverIntervalMs = o.discoverIntervalMs ?? 10_000;
    this.lagIntervalMs = o.lagIntervalMs ?? 1000;
    this.pollIntervalMs = o.pollIntervalMs ?? 100;
    this.consumerExpiryMs = o.consumerExpiryMs ?? 3_600_000;
    this.stopTimeoutMs = o.stopTimeoutMs ?? 3500;
    this.once = new OncePerKind(o.log);
  }

  /** `timescaledb` or `postgresql` once the schema is migrated. */
  get storage(): StorageMode | undefined {
    return this.schema;
  }

  /** Markets being archived (`exchange:SYMBOL`). */
  get marketKeys(): string[] {
    return [...this.markets.keys()].sort();
  }

  /**
   * Migrates the schema (a failure is logged and retried in the background: the database
   * may come up later) and starts the loop. Resolves once running.
   */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    if (this.o.ownsConnections && !this.o.redis.ready) await this.o.redis.connect();
    try {
      await this.ensureSchema();
    } catch (e) {
      this.warn(e, 'postgres not ready; retrying');
    }
    this.loop = this.run();
    this.lagTimer = setInterval(() => void this.refreshLag().catch(() => undefined), this.lagIntervalMs);
    this.lagTimer.unref();
    this.o.log.info(
      { group: this.group, consumer: this.consumer, exchanges: this.o.exchanges, storage: this.schema },
      'archiver started',
    );
  }

  /** Stops reading, lets the in-flight batch commit and be acknowledged, then closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    clearInterval(this.lagTimer);
    // A batch stuck on an unreachable database must not hold the exit past the shutdown
    // budget: after stopTimeoutMs, close anyway. What was not committed stays pending in
    // the group and is archived by the next start (or claimed by another archiver).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([this.loop, this.lagRunning]).then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), this.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut)
      this.o.log.warn(
        { timeout_ms: this.stopTimeoutMs },
        'archive batch still in flight at stop; left pending',
      );
    this.loop = undefined;
    if (this.o.ownsConnections) {
      await this.o.redis.close();
      // pool.end() waits for a checked-out client; after a timed-out stop, do not wait long.
      const ended = this.o.pool.end().catch(() => undefined);
      if (timedOut) await Promise.race([ended, new Promise((r) => setTimeout(r, 300).unref())]);
      else await ended;
    }
    this.o.log.info({ consumer: this.consumer }, 'archiver stopped');
  }

  /** Reachability of both ends (one cheap round trip each). */
  async health(): Promise<{ redis: boolean; postgres: boolean }> {
    const [redis, postgres] = await Promise.all([
      this.o.redis.ready
        ? this.o.redis.ping().then(
            () => true,
            () => false,
          )
        : Promise.resolve(false),
      this.o.pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
    ]);
    return { redis, postgres };
  }

  private async ensureSchema(): Promise<void> {
    if (this.schema) return;
    const { storage, applied } = await migrate(this.o.pool, this.o.log);
    this.schema = storage;
    this.o.log.info(
      { storage, migrations_applied: applied },
      storage === 'timescaledb'
        ? 'archive storage: TimescaleDB (trades is a hypertable, continuous 1-minute aggregate)'
        : 'archive storage: plain PostgreSQL (timescaledb not available or not enabled)',
    );
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.ensureSchema();
        if (Date.now() >= this.nextDiscover) {
          await this.discover();
          this.nextDiscover = Date.now() + this.discoverIntervalMs;
        }
        if (Date.now() >= this.nextClaim) {
          await this.claimPass();
          this.nextClaim = Date.now() + this.claimIntervalMs;
        }
        const busy = await this.round();
        failures = 0;
        if (!busy) await this.sleep(this.pollIntervalMs);
      } catch (e) {
        failures++;
        // Whatever was read but not acknowledged is pending under this consumer: re-read it.
        for (const m of this.markets.values()) m.cursor = '0';
        this.warn(e, 'archive round failed; retrying');
        await this.sleep(Math.min(100 * 2 ** Math.min(failures - 1, 6), 5000));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private warn(e: unknown, message: string): void {
    const err = (e as Error)?.message ?? String(e);
    const now = Date.now();
    if (err === this.lastWarn.message && now - this.lastWarn.at < 10_000) return;
    this.lastWarn = { message: err, at: now };
    this.o.log.warn({ err }, message);
  }

  // ---- markets and groups ----

  /** Reads the `symbols:{exchange}` sets and starts archiving markets not seen yet. */
  async discover(): Promise<void> {
    for (const exchange of this.o.exchanges) {
      const k = keys.symbols(exchange);
      const members = await this.o.redis.send<string[]>(k, ['SMEMBERS', k], true);
      for (const symbol of [...members].sort()) {
        if (tryParseSymbol(symbol) !== symbol) continue;
        const id = marketKey(exchange, symbol);
        if (this.markets.has(id)) continue;
        this.markets.set(id, {
          exchange,
          symbol,
          key: keys.trades(exchange, symbol),
          labels: { exchange, symbol },
          cursor: '0',
          needsGroup: true,
        });
        this.o.log.info({ exchange, symbol }, 'archiving market');
      }
    }
    for (const m of this.markets.values()) if (m.needsGroup) await this.ensureGroup(m);
  }

  private async ensureGroup(m: Market): Promise<void> {
    try {
      await this.o.redis.send(m.key, ['XGROUP', 'CREATE', m.key, this.group, '0', 'MKSTREAM']);
    } catch (e) {
      if (!String((e as Error).message).startsWith('BUSYGROUP')) throw e;
    }
    m.needsGroup = false;
  }

  // ---- reading and writing ----

  /** One read of every market + one transaction. True when anything was read. */
  private async round(): Promise<boolean> {
    const markets = [...this.markets.values()];
    if (markets.length === 0) return false;
    for (const m of markets) if (m.needsGroup) await this.ensureGroup(m);
    const replies = await Promise.allSettled(
      markets.map((m) =>
        this.o.redis.send<ReadReply>(m.key, [
          'XREADGROUP',
          'GROUP',
          this.group,
          this.consumer,
          'COUNT',
          String(this.batchSize),
          'STREAMS',
          m.key,
          m.cursor,
        ]),
      ),
    );
    let busy = false;
    let failure: unknown;
    const batch: { market: Market; entries: GroupEntry[] }[] = [];
    replies.forEach((r, i) => {
      const m = markets[i]!;
      if (r.status === 'rejected') {
        // The stream (and its group) vanished, e.g. deleted: re-create and start over.
        if (String((r.reason as Error)?.message).startsWith('NOGROUP')) m.needsGroup = true;
        else failure ??= r.reason;
        return;
      }
      const entries = r.value?.[0]?.[1] ?? [];
      if (m.cursor !== '>') {
        // Own pending entries are done when a read after the cursor returns none.
        if (entries.length === 0) m.cursor = '>';
        busy = true;
      }
      if (entries.length > 0) {
        busy = true;
        batch.push({ market: m, entries });
      }
    });
    if (failure !== undefined) throw failure;
    if (batch.length > 0) await this.process(batch);
    return busy;
  }

  /**
   * Writes the trades of `batch` in one transaction, then acknowledges every entry of the
   * batch (trades, trimmed and foreign entries alike). Throws when nothing was committed.
   */
  private async process(batch: { market: Market; entries: GroupEntry[] }[]): Promise<void> {
    const m = this.metrics;
    const rows: ArchiveRow[] = [];
    for (const { market, entries } of batch) {
      for (const e of entries) {
        if (!e[1]) {
          m.missing.labels(market.labels).inc();
          this.once.warn(
            `missing:${market.key}`,
            { exchange: market.exchange, symbol: market.symbol, stream_id: e[0] },
            'pending entry was trimmed from the stream before it was archived',
          );
          continue;
        }
        const row = toRow(market, e as RawEntry);
        if (row) rows.push(row);
        else {
          m.skipped.labels(market.labels).inc();
          this.once.warn(
            `skipped:${market.key}`,
            { exchange: market.exchange, symbol: market.symbol, stream_id: e[0] },
            'stream entry is not a valid trade of this market; acknowledged without archiving',
          );
        }
      }
    }
    const started = performance.now();
    try {
      const result = await writeBatch(this.o.pool, rows);
      for (const [key, n] of result.inserted) {
        const market = this.markets.get(key);
        if (market) m.trades.labels(market.labels).inc(n);
      }
    } catch (e) {
      m.batches.labels('error').inc();
      throw e;
    }
    await this.ack(batch);
    m.batches.labels('ok').inc();
    m.batchDuration.observe((performance.now() - started) / 1000);
  }

  /** XACK after commit. A failed ack leaves entries pending: re-read (and re-inserted as no-ops). */
  private async ack(batch: { market: Market; entries: GroupEntry[] }[]): Promise<void> {
    const results = await Promise.allSettled(
      batch.map(({ market, entries }) =>
        this.o.redis.send<number>(market.key, ['XACK', market.key, this.group, ...entries.map((e) => e[0])]),
      ),
    );
    results.forEach((r, i) => {
      const { market, entries } = batch[i]!;
      if (r.status === 'rejected') {
        market.cursor = '0';
        this.warn(r.reason, 'XACK failed after commit; the entries will be re-read (no duplicates)');
      } else if (market.cursor !== '>') {
        market.cursor = entries.at(-1)![0];
      }
    });
  }

  // ---- dead consumers ----

  /**
   * Takes over entries pending longer than claimMinIdleMs (their consumer died or hangs)
   * with XAUTOCLAIM and archives them before anything new. Then removes consumers that
   * have nothing pending and were idle longer than consumerExpiryMs.
   */
  async claimPass(): Promise<void> {
    for (const market of this.markets.values()) {
      if (this.stopping) return;
      if (market.needsGroup) await this.ensureGroup(market);
      const summary = await this.o.redis.send<
        [number, string | null, string | null, [string, string][] | null]
      >(market.key, ['XPENDING', market.key, this.group], true);
      if (!summary || Number(summary[0]) === 0) {
        await this.expireConsumers(market);
        continue;
      }
      const owners = (summary[3] ?? []).filter(([name]) => name !== this.consumer);
      let start = '0-0';
      let claimed = 0;
      let trimmed = 0;
      do {
        const [next, entries, deleted] = await this.o.redis.send<[string, (GroupEntry | null)[], string[]?]>(
          market.key,
          [
            'XAUTOCLAIM',
            market.key,
            this.group,
            this.consumer,
            String(this.claimMinIdleMs),
            start,
            'COUNT',
            String(this.batchSize),
          ],
        );
        // Redis >= 7 drops trimmed entries from the PEL and lists their ids here.
        if (deleted && deleted.length > 0) {
          trimmed += deleted.length;
          this.metrics.missing.labels(market.labels).inc(deleted.length);
        }
        const live = entries.filter((e): e is GroupEntry => Array.isArray(e));
        if (live.length > 0) {
          await this.process([{ market, entries: live }]);
          claimed += live.length;
        }
        start = next;
      } while (start !== '0-0' && !this.stopping);
      if (claimed > 0 || trimmed > 0) {
        this.metrics.claimed.labels(market.labels).inc(claimed);
        this.o.log.info(
          {
            exchange: market.exchange,
            symbol: market.symbol,
            claimed,
            trimmed,
            min_idle_ms: this.claimMinIdleMs,
            pending_by_consumer: Object.fromEntries(owners),
          },
          'claimed and archived pending entries of idle consumers',
        );
      }
      await this.expireConsumers(market);
    }
  }

  private async expireConsumers(market: Market): Promise<void> {
    const list = await this.o.redis.send<unknown[][]>(
      market.key,
      ['XINFO', 'CONSUMERS', market.key, this.group],
      true,
    );
    for (const raw of list ?? []) {
      const c = flatMap(raw);
      const name = String(c.name ?? '');
      if (!name || name === this.consumer) continue;
      // Only Redis >= 7.2 (which reports `inactive`) refreshes `idle` on every read, empty
      // ones included; before that a live consumer of a quiet stream looks idle, and removing
      // it in the middle of a batch would drop that batch's entries from the PEL.
      if (!('inactive' in c)) continue;
      if (Number(c.pending ?? 1) !== 0 || Number(c.idle ?? 0) < this.consumerExpiryMs) continue;
      await this.o.redis.send(market.key, ['XGROUP', 'DELCONSUMER', market.key, this.group, name]);
      this.o.log.info(
        { exchange: market.exchange, symbol: market.symbol, consumer: name, idle_ms: Number(c.idle) },
        'removed idle consumer with nothing pending',
      );
    }
  }

  // ---- lag ----

  /**
   * Sets `archive_lag_entries` for every market: entries not yet delivered to the group
   * (XINFO GROUPS `lag`, Redis >= 7) plus entries delivered but not acknowledged (`pending`).
   * When Redis cannot tell the lag (null), the stream length is used as an upper bound.
   */
  refreshLag(): Promise<void> {
    this.lagRunning ??= this.readLag().finally(() => {
      this.lagRunning = undefined;
    });
    return this.lagRunning;
  }

  private async readLag(): Promise<void> {
    await Promise.all(
      [...this.markets.values()].map(async (market) => {
        const groups = await this.o.redis.send<unknown[][]>(
          market.key,
          ['XINFO', 'GROUPS', market.key],
          true,
        );
        const g = (groups ?? []).map(flatMap).find((x) => x.name === this.group);
        if (!g) return;
        let lag = g.lag === null || g.lag === undefined ? undefined : Number(g.lag);
        if (lag === undefined || !Number.isFinite(lag)) {
          lag = Number(await this.o.redis.send<number>(market.key, ['XLEN', market.key], true));
        }
        this.metrics.lag.labels(market.labels).set(lag + Number(g.pending ?? 0));
      }),
    );
  }
}

function flatMap(raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(raw)) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1];
  return out;
}

/** A stream entry -> a row, or undefined when it is not a well-formed trade of `market`. */
function toRow(market: Market, entry: RawEntry): ArchiveRow | undefined {
  const t = decodeTrade(entry);
  if (!t || t.exchange !== market.exchange || t.symbol !== market.symbol) return undefined;
  if (
    !Number.isSafeInteger(t.id) ||
    t.id < 0 ||
    !Number.isSafeInteger(t.ts) ||
    !Number.isSafeInteger(t.recvTs)
  )
    return undefined;
  if (!isPlainDecimal(t.price) || !isPlainDecimal(t.size)) return undefined;
  return {
    exchange: t.exchange,
    symbol: t.symbol,
    id: t.id,
    price: t.price,
    size: t.size,
    side: t.side,
    ts: t.ts,
    recvTs: t.recvTs,
    streamId: t.streamId,
  };
}

export interface CreateArchiverOptions
  extends Omit<ArchiverOptions, 'redis' | 'pool' | 'exchanges' | 'metrics' | 'ownsConnections'> {
  metrics: Pick<Metrics, 'registry'>;
}

/**
 * An Archiver with its own Redis connection and PostgreSQL pool from the configuration
 * (REDIS_URL or REDIS_CLUSTER_NODES, DATABASE_URL, EXCHANGES); stop() closes them.
 */
export function createArchiver(config: Config, options: CreateArchiverOptions): Archiver {
  if (!config.DATABASE_URL) throw new Error('the archiver needs DATABASE_URL');
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) {
    throw new Error('the archiver needs REDIS_URL or REDIS_CLUSTER_NODES');
  }
  const redis = new RedisLink({
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    log: options.log,
    name: 'archive',
  });
  const pool = createPool(config.DATABASE_URL, { log: options.log, applicationName: 'alphapulse-archiver' });
  options.log.info({ database: describeDatabase(config.DATABASE_URL) }, 'archive database');
  return new Archiver({
    batchSize: config.ARCHIVE_BATCH_SIZE,
    claimMinIdleMs: config.ARCHIVE_CLAIM_IDLE_MS,
    claimIntervalMs: config.ARCHIVE_CLAIM_INTERVAL_MS,
    ...(config.ARCHIVE_CONSUMER ? { consumer: config.ARCHIVE_CONSUMER } : {}),
    ...options,
    redis,
    pool,
    exchanges: config.EXCHANGES,
    ownsConnections: true,
  });
}
