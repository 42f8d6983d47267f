/**
 * `npm run bench:api`: HTTP API load with autocannon while the collector ingests. The
 * end-to-end bench (simulator -> collector -> Redis, with order books) runs at 10 k
 * trades/s; once it is past its warm-up, `alphapulse serve` starts as its own process on
 * the same Redis and autocannon (in this process) loads one route at a time: a short
 * unrecorded warm-up, then the measured run. Req/s and latency percentiles per route, plus
 * what the collector did meanwhile (loss, latency). Writes bench/results/api.json and
 * regenerates bench/RESULTS.md.
 *
 *   npm run bench:api [-- --rate 10000 --duration 10 --connections 20 --pipelining 1 --warmup 2]
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import {
  commandLine,
  failed,
  freePort,
  machineInfo,
  nowIso,
  numberFlag,
  ROOT,
  round,
  scriptFlags,
  writeResult,
} from './common.js';
import { cpuSeconds, rssMb } from './proc-stats.js';
import { writeReport } from './report.js';
import { type BenchResult, runBench } from './run-bench.js';

const CLI = resolve(ROOT, 'dist/cli.js');

export const API_ROUTES = [
  '/trades/BTC-USD?limit=100',
  '/ohlcv/BTC-USD?interval=1m',
  '/orderbook/BTC-USD',
] as const;

export interface ApiRouteResult {
  route: string;
  requests_per_s: number;
  requests_total: number;
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** `alphapulse serve` CPU during the measured run, % of one core. */
  server_cpu_pct: number;
  server_rss_mb: number;
  /** Bytes of one answer (sanity: the route returned data). */
  body_bytes: number;
}

export interface ApiFile {
  kind: 'api';
  generated_at: string;
  command: string;
  machine: ReturnType<typeof machineInfo>;
  settings: {
    ingest_rate: number;
    duration_s: number;
    warmup_s: number;
    connections: number;
    pipelining: number;
  };
  routes: ApiRouteResult[];
  /** The end-to-end bench that ran underneath (collector ingesting while the API was loaded). */
  collector: BenchResult | null;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (performance.now() > until) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage:
      'npm run bench:api [-- --rate 10000 --duration 10 --warmup 2 --connections 20 --pipelining 1 --quick]',
    values: ['rate', 'duration', 'warmup', 'connections', 'pipelining'],
    booleans: ['quick'],
  });
  const quick = flags.get('quick') === 'true';
  const rate = numberFlag(flags, 'rate', 10_000);
  const durationS = numberFlag(flags, 'duration', quick ? 3 : 10);
  const warmupS = numberFlag(flags, 'warmup', quick ? 1 : 2);
  const connections = numberFlag(flags, 'connections', 20);
  const pipelining = numberFlag(flags, 'pipelining', 1);
  const machine = machineInfo();
  const routes: ApiRouteResult[] = [];
  // Time the API phase needs: server start and data fill (<= ~8 s), then each route.
  const apiPhaseS = 10 + API_ROUTES.length * (warmupS + durationS + 1);
  let server: ChildProcess | undefined;
  const file: ApiFile = {
    kind: 'api',
    generated_at: nowIso(),
    command: commandLine('bench:api'),
    machine,
    settings: { ingest_rate: rate, duration_s: durationS, warmup_s: warmupS, connections, pipelining },
    routes,
    collector: null,
  };
  process.stderr.write(
    `bench:api  collector ingesting ${rate.toLocaleString()} trades/s; ${API_ROUTES.length} routes x ${durationS} s, ${connections} connections\n`,
  );
  try {
    file.collector = await runBench(
      {
        rate,
        durationS: apiPhaseS,
        markets: 2,
        warmupS: 3,
        bookDepth: 25,
        bookRate: 20,
        duringLoad: async ({ redisUrl }) => {
          const port = await freePort();
          const base = `http://127.0.0.1:${port}`;
          server = spawn(process.execPath, [CLI, 'serve'], {
            env: {
              ...process.env,
              WS_NO_BUFFER_UTIL: '1',
              REDIS_URL: redisUrl,
              API_HOST: '127.0.0.1',
              API_PORT: String(port),
              LOG_LEVEL: 'warn',
            },
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          const srv = server;
          await waitFor('the API did not answer /health', 15_000, async () => {
            const r = await fetch(`${base}/health`);
            await r.arrayBuffer();
            return true;
          });
          // Data is there: 100 trades, a candle, a book.
          await waitFor('the API had no trades, candles and book', 15_000, async () => {
            const t = (await (await fetch(`${base}${API_ROUTES[0]}`)).json()) as { count?: number };
            const o = (await (await fetch(`${base}${API_ROUTES[1]}`)).json()) as { count?: number };
            const b = (await (await fetch(`${base}${API_ROUTES[2]}`)).json()) as { bids?: unknown[] };
            return t.count === 100 && (o.count ?? 0) > 0 && (b.bids?.length ?? 0) > 0;
          });
          for (const route of API_ROUTES) {
            const url = `${base}${route}`;
            const body = await (await fetch(url)).text();
            if (warmupS > 0) await autocannon({ url, connections, pipelining, duration: warmupS });
            const cpu0 = cpuSeconds(srv.pid!);
            const t0 = performance.now();
            const r = await autocannon({ url, connections, pipelining, duration: durationS });
            const cpuS = cpuSeconds(srv.pid!) - cpu0;
            const wall = (performance.now() - t0) / 1000;
            const res: ApiRouteResult = {
              route,
              requests_per_s: Math.round(r.requests.average),
              requests_total: r.requests.total,
              latency_ms: {
                p50: r.latency.p50,
                p90: r.latency.p90,
                p99: r.latency.p99,
                p999: r.latency.p99_9,
                max: r.latency.max,
                mean: round(r.latency.mean, 2),
              },
              non2xx: r.non2xx,
              errors: r.errors,
              timeouts: r.timeouts,
              server_cpu_pct: round((cpuS / wall) * 100, 1),
              server_rss_mb: round(rssMb(srv.pid!).peak, 1),
              body_bytes: Buffer.byteLength(body),
            };
            routes.push(res);
            process.stderr.write(
              `  ${route.padEnd(30)} ${res.requests_per_s.toLocaleString().padStart(8)} req/s  p50 ${res.latency_ms.p50} ms  p99 ${res.latency_ms.p99} ms  non-2xx ${res.non2xx}  errors ${res.errors}  server CPU ${res.server_cpu_pct}%\n`,
            );
          }
          srv.kill('SIGTERM');
        },
      },
      (line) => process.stderr.write(`  ${line}\n`),
    );
    const c = file.collector;
    process.stderr.write(
      `  collector meanwhile: offered ${c.offered_rate.toLocaleString()}/s, achieved ${c.achieved_rate.toLocaleString()}/s, lost ${c.lost}, p99 ${c.latency_ms.p99} ms\n`,
    );
  } catch (e) {
    file.error = (e as Error).message.slice(0, 500);
    process.stderr.write(`bench:api FAILED: ${file.error}\n`);
  } finally {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  }
  writeResult('api', file);
  writeReport();
  process.stderr.write('bench:api  wrote bench/results/api.json, bench/RESULTS.md\n');
  process.exit(file.error ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:api'));
}
