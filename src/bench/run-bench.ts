/**
 * `alphapulse bench`: simulator -> collector -> Redis, end to end. The simulator and the
 * collector run as separate processes (as in production), each on its own core budget;
 * Redis is the one of REDIS_URL or a private redis-server started for the run. Offered
 * load is exact (the simulator's clock), `lost` is computed against the simulator's own
 * truth file, latency is simulator send time -> Redis acknowledgement per trade.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import type { LatencyReport } from './latency-recorder.js';
import { cpuSeconds, machineDescription, rssMb } from './proc-stats.js';

const CLI = resolve(fileURLToPath(import.meta.url), '../../cli.js');
const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'LTC-USD', 'ADA-USD', 'DOT-USD', 'XRP-USD', 'LINK-USD'];

export interface BenchOptions {
  rate: number;
  durationS: number;
  markets: number;
  redisUrl?: string | undefined;
  /** Progress line on stderr each second (when a TTY). */
  progress?: boolean;
  batchTimeoutMs?: number;
  bufferSize?: number;
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
  duration_s: number;
  machine: string;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
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
      await waitForLine(r, /Ready to accept connections/, 10_000);
      redisUrl = `redis://127.0.0.1:${port}`;
      log(`private redis-server on port ${port}`);
    }
    const redis = createClient({ url: redisUrl });
    await redis.connect();
    for (const m of marketList) {
      const [ex, sym] = m.split(':');
      if ((await redis.exists(`stats:{${ex}:${sym}}`)) > 0) {
        throw new Error(
          `Redis at ${redisUrl} already holds ${m}: point REDIS_URL at an empty database or unset it`,
        );
      }
    }
    const truthFile = join(work, 'truth.json');
    const latencyFile = join(work, 'latency.json');
    const [cbPort, krPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      REDIS_URL: redisUrl,
      EXCHANGES: exchanges.join(','),
      SYMBOLS: symbols.join(','),
      BOOK_DEPTH: '0',
      WS_COMPRESSION: 'false',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      COINBASE_WS_URL: `ws://127.0.0.1:${cbPort}`,
      COINBASE_REST_URL: `http://127.0.0.1:${cbPort}`,
      KRAKEN_WS_URL: `ws://127.0.0.1:${krPort}/v2`,
      KRAKEN_REST_URL: `http://127.0.0.1:${krPort}`,
      COINBASE_REST_RPS: '50',
      KRAKEN_REST_RPS: '50',
      ALPHAPULSE_LATENCY_FILE: latencyFile,
      ...(o.batchTimeoutMs !== undefined ? { BATCH_TIMEOUT_MS: String(o.batchTimeoutMs) } : {}),
      ...(o.bufferSize !== undefined ? { BUFFER_SIZE: String(o.bufferSize) } : {}),
    };
    // The collector first: it connects as soon as the simulator listens.
    const collector = spawnNode(['collect'], env);
    children.push(collector);
    await waitForLine(collector, /metrics and health listening|"collector starting"/, 15_000).catch(
      () => undefined,
    );
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
        String(o.durationS),
        '--book-rate',
        '0',
        '--coinbase-port',
        String(cbPort),
        '--kraken-port',
        String(krPort),
        '--truth-file',
        truthFile,
        '--log-level',
        'warn',
      ],
      {},
    );
    children.push(sim);
    await waitForLine(sim, /export COINBASE_WS_URL/, 15_000);
    const redisCpu0 = await redisCpu(redis);
    const cpu0 = cpuSeconds(collector.pid!);
    const simCpu0 = cpuSeconds(sim.pid!);
    const t0 = performance.now();
    const storedNow = async () => {
      let n = 0;
      for (const m of marketList) {
        const [ex, sym] = m.split(':');
        n += Number((await redis.hGet(`stats:{${ex}:${sym}}`, 'count')) ?? 0);
      }
      return n;
    };
    // Load phase, with progress.
    while (!existsSync(truthFile)) {
      await new Promise((r) => setTimeout(r, 1000));
      const el = (performance.now() - t0) / 1000;
      if (o.progress) {
        const rss = rssMb(collector.pid!).current;
        process.stderr.write(
          `\r  [${el.toFixed(0).padStart(3)}/${o.durationS}s] offered ${o.rate.toLocaleString()}/s  stored ${(await storedNow()).toLocaleString()}  collector RSS ${rss.toFixed(0)} MB   `,
        );
      }
      if (el > o.durationS + 60) throw new Error('the simulator did not finish');
    }
    const loadEnd = performance.now();
    const cpu1 = cpuSeconds(collector.pid!);
    const simCpu1 = cpuSeconds(sim.pid!);
    const redisCpu1 = await redisCpu(redis);
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
        if (want && (await redis.hGet(`stats:{${ex}:${sym}}`, 'last_trade_id')) !== want) done = false;
      }
      if (done) break;
      const n = await storedNow();
      still = n === last ? still + 1 : 0;
      last = n;
      if (still > 100) break;
      await new Promise((r) => setTimeout(r, 100));
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
      const [ex, sym] = m.split(':') as [string, string];
      const lastId = Number(truth[ex]?.[sym]?.last_trade_id ?? 0);
      const first = await redis.xRange(`trades:{${ex}:${sym}}`, '-', '+', { COUNT: 1 });
      const firstId = first[0] ? Number(first[0].message.trade_id) : lastId + 1;
      sent += lastId - firstId + 1;
      stored += await redis.xLen(`trades:{${ex}:${sym}}`);
    }
    await redis.close();
    const lat = existsSync(latencyFile)
      ? (JSON.parse(readFileSync(latencyFile, 'utf8')) as LatencyReport)
      : undefined;
    const loadS = (loadEnd - t0) / 1000;
    const achieved =
      lat && lat.last_ack_us > lat.first_ack_us
        ? lat.count / ((lat.last_ack_us - lat.first_ack_us) / 1e6)
        : 0;
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
      redis_cpu_pct: round(((redisCpu1 - redisCpu0) / loadS) * 100, 1),
      simulator_cpu_pct: round(((simCpu1 - simCpu0) / loadS) * 100, 1),
      markets: marketList,
      duration_s: o.durationS,
      machine: `${machineDescription()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export function formatResult(r: BenchResult): string {
  const rows: [string, string][] = [
    ['markets', r.markets.join(', ')],
    ['offered', `${r.offered_rate.toLocaleString()} trades/s for ${r.duration_s} s`],
    ['achieved', `${r.achieved_rate.toLocaleString()} trades/s`],
    ['sent / stored', `${r.sent.toLocaleString()} / ${r.stored.toLocaleString()}`],
    ['lost', `${r.lost}`],
    [
      'latency (send -> Redis ack)',
      `p50 ${r.latency_ms.p50} ms  p90 ${r.latency_ms.p90} ms  p99 ${r.latency_ms.p99} ms  p99.9 ${r.latency_ms.p999} ms  max ${r.latency_ms.max} ms`,
    ],
    ['collector RSS peak', `${r.collector_rss_mb_peak} MB`],
    ['collector CPU', `${r.collector_cpu_pct} % of one core`],
    ['Redis CPU', `${r.redis_cpu_pct} % of one core`],
    ['simulator CPU', `${r.simulator_cpu_pct} % of one core`],
    ['machine', r.machine],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}
