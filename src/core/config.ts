/**
 * Configuration (CONTRACT.md section 3): defaults < `.env` file < environment < CLI flags.
 * Every value is validated with zod; the first invalid one raises ConfigError naming
 * the variable and what is allowed.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { parseSymbolList } from './symbols.js';
import { EXCHANGES, type Exchange } from './types.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const BOOK_DEPTHS = [0, 10, 25, 100, 500, 1000] as const;

const int = (min: number, max: number) =>
  z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    });

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const exchangeList = z
  .string()
  .transform((v) => [
    ...new Set(
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(z.enum(EXCHANGES)).min(1));

const symbolList = z.string().transform((v, ctx) => {
  try {
    const list = parseSymbolList(v);
    if (list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'empty' });
      return z.NEVER;
    }
    return list;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const hostPortList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[\w.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/)).min(1));

const originList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^\*$|^https?:\/\/[^\s,/]+$/)).min(1));

const shard = z
  .string()
  .trim()
  .regex(/^\d+\/\d+$/)
  .transform((v) => {
    const [i, n] = v.split('/').map(Number) as [number, number];
    return { index: i, count: n };
  })
  .refine((s) => s.count >= 1 && s.index >= 0 && s.index < s.count);

interface VarSpec<T> {
  schema: z.ZodType<T, string>;
  default?: string;
  allowed: string;
  secret?: boolean;
}

function spec<T>(schema: z.ZodType<T, string>, allowed: string, def?: string, secret = false): VarSpec<T> {
  return def === undefined ? { schema, allowed, secret } : { schema, allowed, default: def, secret };
}

/** Every variable, its schema, default and a description of what is allowed. */
export const VARIABLES = {
  REDIS_URL: spec(url(['redis:', 'rediss:']), 'a redis:// or rediss:// URL', undefined, true),
  API_HOST: spec(z.string().trim().min(1).max(255), 'a host name or IP address', '127.0.0.1'),
  API_PORT: spec(int(0, 65535), 'an integer 0..65535', '3001'),
  METRICS_PORT: spec(int(0, 65535), 'an integer 0..65535', '9091'),
  API_TOKEN: spec(z.string().min(8).max(512), 'a string of 8..512 characters', undefined, true),
  EXCHANGES: spec(exchangeList, `a comma-separated list of ${EXCHANGES.join(', ')}`, 'coinbase,kraken'),
  SYMBOLS: spec(symbolList, 'a comma-separated list of symbols like BTC-USD,ETH-USD', 'BTC-USD,ETH-USD'),
  BUFFER_SIZE: spec(int(1, 100_000), 'an integer 1..100000', '1000'),
  BATCH_TIMEOUT_MS: spec(int(0, 60_000), 'an integer 0..60000 (milliseconds)', '0'),
  MAX_PENDING: spec(int(1000, 50_000_000), 'an integer 1000..50000000', '500000'),
  STREAM_MAXLEN: spec(int(100, 1_000_000_000), 'an integer 100..1000000000', '1000000'),
  LOG_LEVEL: spec(z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)), LOG_LEVELS.join(', '), 'info'),
  COINBASE_WS_URL: spec(url(['ws:', 'wss:']), 'a ws:// or wss:// URL', 'wss://ws-feed.exchange.coinbase.com'),
  COINBASE_REST_URL: spec(
    url(['http:', 'https:']),
    'an http:// or https:// URL',
    'https://api.exchange.coinbase.com',
  ),
  KRAKEN_WS_URL: spec(url(['ws:', 'wss:']), 'a ws:// or wss:// URL', 'wss://ws.kraken.com/v2'),
  KRAKEN_REST_URL: spec(url(['http:', 'https:']), 'an http:// or https:// URL', 'https://api.kraken.com'),
  DATABASE_URL: spec(url(['postgres:', 'postgresql:']), 'a postgres:// URL', undefined, true),
  BOOK_DEPTH: spec(
    int(0, 1000).refine((d) => (BOOK_DEPTHS as readonly number[]).includes(d)),
    `one of ${BOOK_DEPTHS.join(', ')} (0 = no order books)`,
    '25',
  ),
  WS_COMPRESSION: spec(bool, 'true or false', 'true'),
  CORS_ORIGINS: spec(originList, 'a comma-separated list of origins like https://example.com'),
  REDIS_CLUSTER_NODES: spec(hostPortList, 'a comma-separated list of host:port'),
  // Additions beyond the contract's table (add, don't rename).
  STALE_TIMEOUT_MS: spec(int(1000, 600_000), 'an integer 1000..600000 (milliseconds)', '10000'),
  SIGNAL_THRESHOLD_BPS: spec(
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/)
      .transform(Number)
      .pipe(z.number().min(0).max(10_000)),
    'a number of basis points 0..10000',
    '1',
  ),
  SHARD: spec(shard, 'i/n with 0 <= i < n (e.g. 0/2)', '0/1'),
  CANDLE_RETENTION_DAYS: spec(int(0, 36_500), 'an integer 0..36500 (days; 0 = keep every candle)', '0'),
  COINBASE_REST_RPS: spec(int(1, 10_000), 'an integer 1..10000 (requests per second)', '10'),
  KRAKEN_REST_RPS: spec(int(1, 10_000), 'an integer 1..10000 (requests per second)', '1'),
  ARCHIVE_CONSUMER: spec(
    z
      .string()
      .trim()
      .regex(/^[\w.:@-]{1,128}$/),
    '1..128 letters, digits or . : @ - _ (default hostname-pid)',
  ),
  ARCHIVE_BATCH_SIZE: spec(int(1, 100_000), 'an integer 1..100000 (entries per market per read)', '1000'),
  ARCHIVE_CLAIM_IDLE_MS: spec(int(100, 86_400_000), 'an integer 100..86400000 (milliseconds)', '30000'),
  ARCHIVE_CLAIM_INTERVAL_MS: spec(int(100, 86_400_000), 'an integer 100..86400000 (milliseconds)', '15000'),
} as const;

type Vars = typeof VARIABLES;
export type VariableName = keyof Vars;
type ValueOf<K extends VariableName> = Vars[K] extends VarSpec<infer T> ? T : never;
type Optional =
  | 'REDIS_URL'
  | 'API_TOKEN'
  | 'DATABASE_URL'
  | 'CORS_ORIGINS'
  | 'REDIS_CLUSTER_NODES'
  | 'ARCHIVE_CONSUMER';

export type Config = { [K in Exclude<VariableName, Optional>]: ValueOf<K> } & {
  [K in Optional]: ValueOf<K> | undefined;
};

export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

/** `API_PORT` -> `api-port` (the CLI flag spelling). */
export function flagName(variable: VariableName): string {
  return variable.toLowerCase().replaceAll('_', '-');
}

export interface ConfigSources {
  /** Values from CLI flags, keyed by variable name. */
  flags?: Partial<Record<VariableName, string>>;
  env?: NodeJS.ProcessEnv;
  /** Directory whose `.env` file is read; undefined = no file. */
  cwd?: string | undefined;
}

function readDotenv(cwd: string | undefined): Record<string, string> {
  if (cwd === undefined) return {};
  const file = join(cwd, '.env');
  if (!existsSync(file)) return {};
  return parseDotenv(readFileSync(file));
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const dotenv = readDotenv(sources.cwd);
  const out: Record<string, unknown> = {};
  for (const name of VARIABLE_NAMES) {
    const s: VarSpec<unknown> = VARIABLES[name];
    const raw = sources.flags?.[name] ?? nonEmpty(env[name]) ?? nonEmpty(dotenv[name]) ?? s.default;
    if (raw === undefined) {
      out[name] = undefined;
      continue;
    }
    const parsed = s.schema.safeParse(raw);
    if (!parsed.success) {
      const shown = s.secret ? '(hidden)' : JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
      const detail = parsed.error.issues.find((i) => i.code === 'custom' && i.message)?.message;
      throw new ConfigError(
        name,
        `invalid configuration: ${name}=${shown} must be ${s.allowed}${detail ? ` (${detail})` : ''}`,
      );
    }
    out[name] = parsed.data;
  }
  return out as Config;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** The configuration with secrets masked, for the start-up log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of VARIABLE_NAMES) {
    const v = config[name];
    if (v === undefined) continue;
    out[name] = VARIABLES[name].secret ? redact(String(v)) : v;
  }
  return out;
}

function redact(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}

export type { Exchange };
