/**
 * Metrics of the history writer (`alphapulse archive`), registered on the registry of the
 * process's Metrics object. Additions beyond CONTRACT.md section 6 (add, don't rename).
 *
 * The batch duration is in seconds (`archive_batch_duration_seconds`): promtool flags
 * `_ms` names, and the contract accepts that finding only for the seed's own names.
 */

import client from 'prom-client';

/** Batch durations: 1 ms .. 30 s. */
export const BATCH_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

function build(registry: client.Registry) {
  const registers = [registry];
  return {
    lag: new client.Gauge({
      name: 'archive_lag_entries',
      help: 'Trade stream entries not yet acknowledged by the archiver group (undelivered lag + pending)',
      labelNames: ['exchange', 'symbol'] as const,
      registers,
    }),
    trades: new client.Counter({
      name: 'archive_trades_total',
      help: 'Trades inserted into PostgreSQL (first time only; replays insert nothing)',
      labelNames: ['exchange', 'symbol'] as const,
      registers,
    }),
    batches: new client.Counter({
      name: 'archive_batches_total',
      help: 'Archive batches (one PostgreSQL transaction each) by outcome: ok or error',
      labelNames: ['status'] as const,
      registers,
    }),
    batchDuration: new client.Histogram({
      name: 'archive_batch_duration_seconds',
      help: 'Time to write one batch to PostgreSQL and acknowledge it in Redis, seconds',
      buckets: BATCH_BUCKETS_SECONDS,
      registers,
    }),
    claimed: new client.Counter({
      name: 'archive_claimed_entries_total',
      help: 'Pending entries taken over from idle (dead) consumers with XAUTOCLAIM',
      labelNames: ['exchange', 'symbol'] as const,
      registers,
    }),
    missing: new client.Counter({
      name: 'archive_entries_missing_total',
      help: 'Pending entries whose data was trimmed from the stream before they were archived',
      labelNames: ['exchange', 'symbol'] as const,
      registers,
    }),
    skipped: new client.Counter({
      name: 'archive_entries_skipped_total',
      help: 'Stream entries that are not valid trades of that market (acknowledged, not archived)',
      labelNames: ['exchange', 'symbol'] as const,
      registers,
    }),
  };
}

export type ArchiveMetrics = ReturnType<typeof build>;

const byRegistry = new WeakMap<client.Registry, ArchiveMetrics>();

/**
 * The archive metrics on `target`'s registry (a Metrics object from metrics()/createMetrics(),
 * or a bare Registry). Created once per registry; later calls return the same objects.
 */
export function archiveMetrics(target: { registry: client.Registry } | client.Registry): ArchiveMetrics {
  const registry = target instanceof client.Registry ? target : target.registry;
  let m = byRegistry.get(registry);
  if (!m) {
    m = build(registry);
    byRegistry.set(registry, m);
  }
  return m;
}
