/**
 * `alphapulse bench`: simulator -> collector -> Redis, end to end. The simulator and the
 * collector run as separate processes (as in production), each on its own core budget;
 * Redis is the one of REDIS_URL or a private redis-server started for the run. Offered
 * load is exact (the simulator's clock), `lost` is computed against the simulator's own
 * truth file, latency is simulator send time -> Redis acknowledgement per trade.
 *
 * Order of start: Redis, the simulator (it starts making trades at once), then the
 * collector, which subscribes when it is up. The first `warmupS` seconds of the
 * simulator's clock (collector start-up, connection, JIT warm-up) are excluded from the
 * latency histogram, the achieved rate and the CPU figures; the simulator runs
 * `warmupS + durationS` seconds in all. Loss is counted over the whole run.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import type { Exchange } from '../core/types.js';
import { keys } from '../store/keys.js';
import { calibrate, freePort } from './common.js';
import type { LatencyReport } from './latency-recorder.js';
import { cpuSeconds, machineDescription, rssMb, runQueueWaitSeconds } from './proc-stats.js';
import { REALTIME_PRIORITY, schedulingOf, setRealtime } from './scheduling.js';
import type { SweepRun } from './sweep-summary.js';

const CLI = resolve(fileURLToPath(import.meta.url), '../../cli.js');
const FLOOR_LOOP = resolve(fileURLToPath(import.meta.url), '../floor-loop.js');
const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'LTC-USD', 'ADA-USD', 'DOT-USD', 'XRP-USD', 'LINK-USD'];

export interface BenchOptions {
  rate: number;
  durationS: number;
  markets: number;
  /** Simulator and collector negotiate permessage-deflate; every message compressed (default false). */
  compression?: boolean;
  redisUrl?: string | undefined;
  /** Progress line on stderr each second (when a TTY). */
  progress?: boolean;
  batchTimeoutMs?: number;
  bufferSize?: number;
  /** Seconds at the start excluded from latency, rate and CPU (default 2). */
  warmupS?: number;
  /** Order-book depth the collector keeps (default 0 = trades only). */
  bookDepth?: number;
  /** Book changes per second per market from the simulator (default 0). */
  bookRate?: number;
  /** Extra environment for the collector process. */
  collectorEnv?: NodeJS.ProcessEnv;
  /** Node flags for the collector process (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  collectorNodeArgs?: string[];
  /**
   * Collector, private Redis and simulator under SCHED_FIFO (src/bench/scheduling.ts): what
   * the latency is when the OS lets the pipeline preempt other work. Needs CAP_SYS_NICE.
   */
  realtime?: boolean;
  /**
   * What runs in the collector's place: `alphapulse collect` (default) or the floor loop
   * (src/bench/floor-loop.ts: ws -> JSON.parse -> XADD and nothing else).
   */
  program?: 'collector' | 'floor';
  /** Node flags for the simulator process (default SIMULATOR_NODE_ARGS). */
  simulatorNodeArgs?: string[];
  /** Told the wall-clock times (Date.now ms) of the collector's start and of the measured window. */
  onTimes?: (t: { collectorSpawnMs: number; windowStartMs: number; windowEndMs: number }) => void;
  /**
   * Runs once the warm-up is over, while the load goes on (e.g. API load against the same
   * Redis). The load phase lasts at least until it resolves.
   */
  duringLoad?: (ctx: { redisUrl: string; marketList: string[] }) => Promise<void>;
}

export interface BenchResult {
  offered_rate: number;
  achieved_rate: number;
  sent: number;
  stored: number;
  lost: number;
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number };
  collector_rss_mb_peak: number;
  collector_cpu_pct: number;
  redis_cpu_pct: number;
  simulator_cpu_pct: number;
  markets: string[];
  /** Added: whether the exchange streams were compressed (permessage-deflate). */
  compression: boolean;
  duration_s: number;
  machine: string;
  /** Added: seconds of warm-up excluded from latency, rate and CPU. */
  warmup_s: number;
  /** Added: the Redis server's version (INFO server). */
  redis_version: string;
  /**
   * Added: % of the window the collector's main thread was runnable but waiting for a CPU
   * (Linux schedstat): time other processes took from it. Near 0 on a quiet machine.
   */
  collector_cpu_wait_pct: number;
  /** Added: the machine's 1-minute load average when the measured window began (noise indicator). */
  load_avg_1m: number;
  /**
   * Added: the latency split at the collector's frame receive time: trade made -> frame
   * received (simulator send lag, socket buffers, waiting for the collector's event loop)
   * and frame received -> Redis ack (parse, batch, write).
   */
  latency_split_ms: {
    to_receive: { p50: number; p99: number; max: number };
    in_collector: { p50: number; p99: number; max: number };
  } | null;
  /** Added: latency per exchange (each exchange's markets), same definition. */
  latency_by_exchange_ms: Record<string, { count: number; p50: number; p99: number; max: number }>;
  /**
   * Added: each process's scheduling policy as the kernel reported it at the start of the
   * measured window (`realtime`: the run asked for SCHED_FIFO).
   */
  scheduling: { realtime: boolean; collector: string; redis: string; simulator: string };
}

// ws uses the optional native bufferutil when it can load it; a dev install has it (through
// ccxt), a production install does not. Benchmarks measure what production runs.
const CHILD_ENV = { WS_NO_BUFFER_UTIL: '1' };

/**
 * The load generator shares the two cores with what it measures: a larger young
 * generation halves the time it spends in garbage collection (its frame strings die
 * young), leaving that CPU to the collector and Redis. The collector keeps Node's defaults.
 */
export const SIMULATOR_NODE_ARGS = ['--max-semi-space-size=64'];

function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  script = CLI,
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...CHILD_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((res, rej) => {
    let buf = '';
    const t = setTimeout(() => rej(new Error(`no line matching ${re}: ${buf.slice(-500)}`)), timeoutMs);
    const on = (chunk: Buffer) => {
      buf += chunk.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(t);
        child.stdout?.off('data', on);
        res(m);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', (c: Buffer) => {
      buf += c.toString();
    });
  });
}

/** Resolves once an HTTP server answers on the port (any status); rejects if the child exits. */
async function waitForHttp(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return;
    } catch {
      if (performance.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A store key of a bench market written `exchange:SYMBOL`. */
function marketKey(key: (exchange: Exchange, symbol: string) => string, market: string): string {
  const [ex, sym] = market.split(':') as [Exchange, string];
  return key(ex, sym);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

async function redisCpu(client: ReturnType<typeof createClient>): Promise<number> {
  const info = await client.info('cpu');
  const v = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return v('used_cpu_user') + v('used_cpu_sys');
}

/** Distributes `n` markets over both exchanges (1 = Coinbase only). */
export function benchMarkets(n: number): { exchanges: string[]; symbols: string[] } {
  if (n <= 1) return { exchanges: ['coinbase'], symbols: [SYMBOLS[0]!] };
  const perExchange = Math.min(SYMBOLS.length, Math.ceil(n / 2));
  return { exchanges: ['coinbase', 'kraken'], symbols: SYMBOLS.slice(0, perExchange) };
}

export async function runBench(
  o: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<BenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'alphapulse-bench-'));
  const { exchanges, symbols } = benchMarkets(o.markets);
  const marketList = exchanges.flatMap((e) => symbols.map((s) => `${e}:${s}`));
  const perMarket = o.rate / marketList.length;
  const children: ChildProcess[] = [];
  let redisUrl = o.redisUrl;
  let redisPid: number | undefined;
  try {
    if (!redisUrl) {
      const port = await freePort();
      const r = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(r);
      redisPid = r.pid;
      if (o.realtime) setRealtime(r.pid!, REALTIME_PRIORITY.redis, 'private redis-server');
      await waitForLine(r, /Ready to accept connections/, 10_000);
      redisUrl = `redis://127.0.0.1:${port}`;
      log(`private redis-server on port ${port}`);
    }
    const redis = createClient({ url: redisUrl });
    // Failures surface through the commands; a closed socket at teardown is not one.
    redis.on('error', () => {});
    await redis.connect();
    for (const m of marketList) {
      if ((await redis.exists(marketKey(keys.stats, m))) > 0) {
        throw new Error(
          `Redis at ${redisUrl} already holds ${m}: point REDIS_URL at an empty database or unset it`,
        );
      }
    }
    const truthFile = join(work, 'truth.json');
    const latencyFile = join(work, 'latency.json');
    const warmupS = o.warmupS ?? 2;
    const bookDepth = o.bookDepth ?? 0;
    const [cbPort, krPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    // The simulator first: an exchange is there before its collector.
    const sim = spawnNode(
      [
        'simulate',
        '--exchanges',
        exchanges.join(','),
        '--symbols',
        symbols.join(','),
        '--rate',
        String(perMarket),
        '--duration',
        String(warmupS + o.durationS),
        '--book-rate',
        String(o.bookRate ?? 0),
        '--coinbase-port',
        String(cbPort),
        '--kraken-port',
        String(krPort),
        '--truth-file',
        truthFile,
        '--log-level',
        'warn',
        ...(o.compression ? ['--compression'] : []),
      ],
      {},
      o.simulatorNodeArgs ?? SIMULATOR_NODE_ARGS,
    );
    children.push(sim);
    if (o.realtime) setRealtime(sim.pid!, REALTIME_PRIORITY.simulator, 'simulator');
    await waitForLine(sim, /export COINBASE_WS_URL/, 15_000);
    // Trades are stamped with the simulator's clock (epoch µs, same host clock as ours).
    const simStartMs = Date.now();
    const measureFromMs = simStartMs + warmupS * 1000;
    log(`simulator listening; measuring from +${warmupS} s`);
    const env = {
      REDIS_URL: redisUrl,
      EXCHANGES: exchanges.join(','),
      SYMBOLS: symbols.join(','),
      BOOK_DEPTH: String(bookDepth),
      WS_COMPRESSION: o.compression ? 'true' : 'false',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      COINBASE_WS_URL: `ws://127.0.0.1:${cbPort}`,
      COINBASE_REST_URL: `http://127.0.0.1:${cbPort}`,
      KRAKEN_WS_URL: `ws://127.0.0.1:${krPort}/v2`,
      KRAKEN_REST_URL: `http://127.0.0.1:${krPort}`,
      COINBASE_REST_RPS: '50',
      KRAKEN_REST_RPS: '50',
      // Keep every trade of the run, so that stored and lost are exact whatever the length.
      STREAM_MAXLEN: String(Math.max(1_000_000, Math.ceil(perMarket * (warmupS + o.durationS) * 1.2))),
      ALPHAPULSE_LATENCY_FILE: latencyFile,
      ALPHAPULSE_LATENCY_FROM_US: String(measureFromMs * 1000),
      ...(o.batchTimeoutMs !== undefined ? { BATCH_TIMEOUT_MS: String(o.batchTimeoutMs) } : {}),
      ...(o.bufferSize !== undefined ? { BUFFER_SIZE: String(o.bufferSize) } : {}),
      ...o.collectorEnv,
    };
    const collectorSpawnMs = Date.now();
    const collector =
      o.program === 'floor'
        ? spawnNode([], env, o.collectorNodeArgs, FLOOR_LOOP)
        : spawnNode(['collect'], env, o.collectorNodeArgs);
    children.push(collector);
    if (o.realtime) setRealtime(collector.pid!, REALTIME_PRIORITY.collector, 'collector');
    const collectorErr: string[] = [];
    collector.stderr?.on('data', (c: Buffer) => collectorErr.push(c.toString()));
    collector.stdout?.resume();
    sim.stdout?.resume();
    sim.stderr?.resume();
    await waitForHttp(collector, `http://127.0.0.1:${metricsPort}/health`, 15_000).catch((e: Error) => {
      throw new Error(`collector did not start: ${e.message} ${collectorErr.join('').slice(-500)}`);
    });
    log(`collector up after ${((Date.now() - simStartMs) / 1000).toFixed(2)} s`);
    // Counted from the streams themselves (the floor loop keeps no stats hash).
    const storedNow = async () => {
      let n = 0;
      for (const m of marketList) n += await redis.xLen(marketKey(keys.trades, m));
      return n;
    };
    const lastStoredId = async (market: string) =>
      (await redis.xRevRange(marketKey(keys.trades, market), '+', '-', { COUNT: 1 }))[0]?.message.trade_id;
    // Warm-up, then the measured window.
    await sleep(measureFromMs - Date.now());
    const redisCpu0 = await redisCpu(redis);
    const cpu0 = cpuSeconds(collector.pid!);
    const wait0 = runQueueWaitSeconds(collector.pid!);
    const simCpu0 = cpuSeconds(sim.pid!);
    const scheduling = {
      realtime: o.realtime === true,
      collector: schedulingOf(collector.pid!),
      redis: redisPid === undefined ? 'external (REDIS_URL)' : schedulingOf(redisPid),
      simulator: schedulingOf(sim.pid!),
    };
    const t0 = performance.now();
    let hookError: unknown;
    const hook = o.duringLoad
      ? o.duringLoad({ redisUrl, marketList }).catch((e: unknown) => {
          hookError = e;
        })
      : undefined;
    // Load phase, with progress.
    const loadAvg = loadavg()[0] ?? 0;
    let lastProgress = 0;
    while (!existsSync(truthFile)) {
      await sleep(200);
      const el = (performance.now() - t0) / 1000;
      if (o.progress && el - lastProgress >= 1) {
        lastProgress = el;
        const rss = rssMb(collector.pid!).current;
        process.stderr.write(
          `\r  [${el.toFixed(0).padStart(3)}/${o.durationS}s] offered ${o.rate.toLocaleString()}/s  stored ${(await storedNow()).toLocaleString()}  collector RSS ${rss.toFixed(0)} MB   `,
        );
      }
      if (collector.exitCode !== null || collector.signalCode !== null)
        throw new Error(`the collector exited during the run: ${collectorErr.join('').slice(-500)}`);
      if (el > o.durationS + 60) throw new Error('the simulator did not finish');
    }
    const loadEnd = performance.now();
    o.onTimes?.({ collectorSpawnMs, windowStartMs: measureFromMs, windowEndMs: Date.now() });
    const cpu1 = cpuSeconds(collector.pid!);
    const wait1 = runQueueWaitSeconds(collector.pid!);
    const simCpu1 = cpuSeconds(sim.pid!);
    const redisCpu1 = await redisCpu(redis);
    if (hook) await hook;
    if (hookError) throw hookError;
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<
      string,
      Record<string, { last_trade_id: string | null }>
    >;
    // Drain: wait until every market's last trade is stored (or nothing moves for 10 s).
    let last = -1;
    let still = 0;
    for (;;) {
      let done = true;
      for (const m of marketList) {
        const [ex, sym] = m.split(':') as [string, string];
        const want = truth[ex]?.[sym]?.last_trade_id;
        if (want && (await lastStoredId(m)) !== want) done = false;
      }
      if (done) break;
      const n = await storedNow();
      still = n === last ? still + 1 : 0;
      last = n;
      if (still > 100) break;
      await sleep(100);
    }
    if (o.progress) process.stderr.write('\n');
    const peak = rssMb(collector.pid!).peak;
    collector.kill('SIGTERM');
    await exited(collector);
    sim.kill('SIGTERM');
    await exited(sim);
    // sent = every trade made from the first one the collector received (ids are consecutive).
    let sent = 0;
    let stored = 0;
    for (const m of marketList) {
      const [ex, sym] = m.split(':') as [Exchange, string];
      const stream = keys.trades(ex, sym);
      const lastId = Number(truth[ex]?.[sym]?.last_trade_id ?? 0);
      const first = await redis.xRange(stream, '-', '+', { COUNT: 1 });
      const firstId = first[0] ? Number(first[0].message.trade_id) : lastId + 1;
      sent += lastId - firstId + 1;
      stored += await redis.xLen(stream);
    }
    const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    await redis.close();
    const lat = existsSync(latencyFile)
      ? (JSON.parse(readFileSync(latencyFile, 'utf8')) as LatencyReport)
      : undefined;
    const loadS = (loadEnd - t0) / 1000;
    // Trades made in the window / time from the window's start to the last one's ack: equals
    // the offered rate when the collector keeps up, less when it falls behind (and never
    // more, as a rate over first..last ack would be while a warm-up backlog drains).
    const windowStartUs = lat ? (lat.from_us > 0 ? lat.from_us : lat.first_ack_us) : 0;
    const achieved =
      lat && lat.last_ack_us > windowStartUs ? lat.count / ((lat.last_ack_us - windowStartUs) / 1e6) : 0;
    const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      offered_rate: o.rate,
      achieved_rate: Math.round(achieved),
      sent,
      stored,
      lost: sent - stored,
      latency_ms: lat
        ? {
            p50: round(lat.latency_ms.p50),
            p90: round(lat.latency_ms.p90),
            p99: round(lat.latency_ms.p99),
            p999: round(lat.latency_ms.p999),
            max: round(lat.latency_ms.max),
          }
        : { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, p999: Number.NaN, max: Number.NaN },
      collector_rss_mb_peak: round(peak, 1),
      collector_cpu_pct: round(((cpu1 - cpu0) / loadS) * 100, 1),
      collector_cpu_wait_pct: round(((wait1 - wait0) / loadS) * 100, 1),
      redis_cpu_pct: round(((redisCpu1 - redisCpu0) / loadS) * 100, 1),
      simulator_cpu_pct: round(((simCpu1 - simCpu0) / loadS) * 100, 1),
      markets: marketList,
      compression: o.compression === true,
      duration_s: o.durationS,
      machine: `${machineDescription()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      warmup_s: warmupS,
      redis_version: redisVersion,
      load_avg_1m: round(loadAvg, 2),
      latency_split_ms: lat?.split_ms
        ? {
            to_receive: {
              p50: round(lat.split_ms.to_receive.p50),
              p99: round(lat.split_ms.to_receive.p99),
              max: round(lat.split_ms.to_receive.max),
            },
            in_collector: {
              p50: round(lat.split_ms.in_collector.p50),
              p99: round(lat.split_ms.in_collector.p99),
              max: round(lat.split_ms.in_collector.max),
            },
          }
        : null,
      latency_by_exchange_ms: Object.fromEntries(
        Object.entries(lat?.by_exchange ?? {}).map(([ex, v]) => [
          ex,
          {
            count: v.count,
            p50: round(v.latency_ms.p50),
            p99: round(v.latency_ms.p99),
            max: round(v.latency_ms.max),
          },
        ]),
      ),
      scheduling,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map((c) => exited(c)));
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * One run for a results file (sweep, floor): the machine's speed just before it, then the
 * result or the error, with a line on stderr that starts with `label`.
 */
export async function recordedRun(o: BenchOptions, run: number, label: string): Promise<SweepRun> {
  process.stderr.write(`${label} ... `);
  const calibration = calibrate();
  try {
    const result = await runBench(o);
    process.stderr.write(
      `achieved ${result.achieved_rate.toLocaleString()}/s  lost ${result.lost}  p50 ${result.latency_ms.p50} ms  p99 ${result.latency_ms.p99} ms  collector CPU ${result.collector_cpu_pct}% (waited ${result.collector_cpu_wait_pct}%)  RSS ${result.collector_rss_mb_peak} MB  load ${result.load_avg_1m}\n`,
    );
    return { offered_rate: o.rate, run, result, calibration_ops_per_s: calibration };
  } catch (e) {
    process.stderr.write(`FAILED: ${(e as Error).message}\n`);
    return {
      offered_rate: o.rate,
      run,
      error: (e as Error).message.slice(0, 500),
      calibration_ops_per_s: calibration,
    };
  }
}

export function formatResult(r: BenchResult): string {
  const rows: [string, string][] = [
    ['markets', `${r.markets.join(', ')}${r.compression ? ' (permessage-deflate)' : ''}`],
    [
      'offered',
      `${r.offered_rate.toLocaleString()} trades/s for ${r.duration_s} s (after ${r.warmup_s} s warm-up)`,
    ],
    ['achieved', `${r.achieved_rate.toLocaleString()} trades/s`],
    ['sent / stored', `${r.sent.toLocaleString()} / ${r.stored.toLocaleString()}`],
    ['lost', `${r.lost}`],
    [
      'latency (send -> Redis ack)',
      `p50 ${r.latency_ms.p50} ms  p90 ${r.latency_ms.p90} ms  p99 ${r.latency_ms.p99} ms  p99.9 ${r.latency_ms.p999} ms  max ${r.latency_ms.max} ms`,
    ],
    ...Object.entries(r.latency_by_exchange_ms ?? {}).map(([ex, v]): [string, string] => [
      `  ${ex}`,
      `p50 ${v.p50} ms  p99 ${v.p99} ms  max ${v.max} ms  (${v.count.toLocaleString()} trades)`,
    ]),
    ...(r.latency_split_ms
      ? ([
          [
            '  made -> received',
            `p50 ${r.latency_split_ms.to_receive.p50} ms  p99 ${r.latency_split_ms.to_receive.p99} ms  max ${r.latency_split_ms.to_receive.max} ms`,
          ],
          [
            '  received -> acked',
            `p50 ${r.latency_split_ms.in_collector.p50} ms  p99 ${r.latency_split_ms.in_collector.p99} ms  max ${r.latency_split_ms.in_collector.max} ms`,
          ],
        ] as [string, string][])
      : []),
    ['collector RSS peak', `${r.collector_rss_mb_peak} MB`],
    [
      'collector CPU',
      `${r.collector_cpu_pct} % of one core (waited for a CPU ${r.collector_cpu_wait_pct} % of the time)`,
    ],
    ['Redis CPU', `${r.redis_cpu_pct} % of one core`],
    ['simulator CPU', `${r.simulator_cpu_pct} % of one core`],
    [
      'scheduling',
      `collector ${r.scheduling.collector}, Redis ${r.scheduling.redis}, simulator ${r.scheduling.simulator}`,
    ],
    ['machine', `${r.machine}, Redis ${r.redis_version}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}
