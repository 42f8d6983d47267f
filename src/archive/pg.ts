/** PostgreSQL connection pool for the archive (writer and history reader). */

import pg from 'pg';
import type { Logger } from '../core/logger.js';

export interface PoolOptions {
  /** Most connections (the writer uses one at a time; readers share the rest). */
  max?: number;
  /** Client-side timeout of one query, ms. */
  queryTimeoutMs?: number;
  applicationName?: string;
  log?: Logger;
}

/**
 * A pool for DATABASE_URL. NUMERIC and BIGINT come back as text (pg's defaults), so
 * prices and sizes are never turned into floats.
 */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    query_timeout: options.queryTimeoutMs ?? 60_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'alphapulse-archive',
  });
  // An idle connection that dies (server restart) must not crash the process.
  pool.on('error', (e: Error) => options.log?.warn({ err: e.message }, 'postgres connection error'));
  return pool;
}

/** The host/database part of a URL for logs (no credentials). */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
