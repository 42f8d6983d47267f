/**
 * Zero message loss, end to end with real processes: the simulator (with faults), the
 * collector (killed and restarted), a real Redis (restarted or paused). Each scenario
 * ends with the stream compared trade by trade to the simulator's ground truth.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, PrivateRedis, type Proc, spawnCli, startSimulator, waitFor } from '../helpers/process.js';
import { redisClient } from '../helpers/redis.js';
import { compare, simTrades, streamTrades, type TruthFile } from '../helpers/truth.js';

const RATE_PER_MARKET = 2500; // 2 markets: 5,000 trades/s in total
const DURATION_S = 20;
const MARKETS: [string, string][] = [
  ['coinbase', 'BTC-USD'],
  ['kraken', 'BTC-USD'],
];

interface Counters {
  backfilled: number;
  duplicates: number;
  gaps: number;
  reconnections: number;
  malformed: number;
  overflows: number;
}

async function scrape(port: number): Promise<Counters | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((acc, l) => acc + Number(l.split(' ').at(-1)), 0);
    return {
      backfilled: sum('trades_backfilled_total'),
      duplicates: sum('trades_duplicate_total'),
      gaps: sum('trade_gaps_total'),
      reconnections: sum('websocket_reconnections_total'),
      malformed: sum('malformed_messages_total'),
      overflows: sum('buffer_overflows_total'),
    };
  } catch {
    return undefined;
  }
}

class CollectorProcess {
  proc: Proc | undefined;
  port = 0;
  /** Counters of processes already gone (last scrape before they died). */
  carried: Counters = { backfilled: 0, duplicates: 0, gaps: 0, reconnections: 0, malformed: 0, overflows: 0 };
  last: Counters | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.last = undefined;
    this.proc = spawnCli(
      ['collect'],
      { ...this.env, METRICS_PORT: String(this.port), LOG_LEVEL: 'warn' },
      'collect',
    );
    await waitFor('collector metrics', () => scrape(this.port), 15_000);
    this.poller = setInterval(async () => {
      const c = await scrape(this.port);
      if (c) this.last = c;
    }, 200);
  }

  private carry(): void {
    clearInterval(this.poller);
    if (!this.last) return;
    for (const k of Object.keys(this.carried) as (keyof Counters)[]) this.carried[k] += this.last[k];
    this.last = undefined;
  }

  async kill9(): Promise<void> {
    const c = await scrape(this.port);
    if (c) this.last = c;
    this.carry();
    await this.proc!.kill('SIGKILL');
  }

  async stop(): Promise<number | null> {
    const c = await scrape(this.port);
    if (c) this.last = c;
    this.carry();
    return this.proc!.kill('SIGTERM');
  }
}

interface Scenario {
  name: string;
  simFlags: string[];
  collectorEnv?: Record<string, string>;
  during?: (ctx: { collector: CollectorProcess; redis: PrivateRedis }) => Promise<void>;
}

const results: Record<string, unknown> = {};

async function runScenario(s: Scenario): Promise<Counters> {
  const redis = await PrivateRedis.start(true);
  const truthFile = join(tmpdir(), `ap-truth-${process.pid}-${Date.now()}.json`);
  const sim = await startSimulator([
    '--exchanges',
    'coinbase,kraken',
    '--symbols',
    'BTC-USD',
    '--rate',
    String(RATE_PER_MARKET),
    '--duration',
    String(DURATION_S),
    '--truth-file',
    truthFile,
    '--seed',
    '11',
    ...s.simFlags,
  ]);
  const collector = new CollectorProcess({
    ...sim.env,
    REDIS_URL: redis.url,
    EXCHANGES: 'coinbase,kraken',
    SYMBOLS: 'BTC-USD',
    COINBASE_REST_RPS: '50',
    KRAKEN_REST_RPS: '50',
    WS_COMPRESSION: 'false',
    ...s.collectorEnv,
  });
  try {
    await collector.start();
    await s.during?.({ collector, redis });
    await waitFor(
      'simulator generation to end (truth file)',
      () => existsSync(truthFile),
      (DURATION_S + 30) * 1000,
      250,
    );
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as TruthFile;
    const c = await redisClient(redis.url);
    await waitFor(
      'the collector to store the last trade of every market',
      async () => {
        for (const [ex, sym] of MARKETS) {
          const last = await c.hGet(`stats:{${ex}:${sym}}`, 'last_trade_id');
          if (last !== truth[ex]![sym]!.last_trade_id) return false;
        }
        return true;
      },
      90_000,
      250,
    );
    await c.close();
    expect(await collector.stop()).toBe(0);
    const report: Record<string, unknown> = { counters: collector.carried };
    for (const [ex, sym] of MARKETS) {
      const rest = sim.env[ex === 'coinbase' ? 'COINBASE_REST_URL' : 'KRAKEN_REST_URL']!;
      const expected = await simTrades(ex, rest, sym);
      expect(expected.length).toBe(truth[ex]![sym]!.count);
      const stream = await streamTrades(redis.url, ex, sym);
      const cmp = compare(stream, expected, stream[0]!.id);
      report[`${ex}:${sym}`] = {
        made: truth[ex]![sym]!.count,
        expected_from_first_received: cmp.expected,
        stored: cmp.stored,
        missing: cmp.missing.length,
        duplicates: cmp.duplicates,
        out_of_order: cmp.outOfOrder,
        mismatched: cmp.mismatched.length,
      };
      expect(cmp.missing).toEqual([]);
      expect(cmp.mismatched).toEqual([]);
      expect(cmp.duplicates).toBe(0);
      expect(cmp.outOfOrder).toBe(0);
      expect(cmp.stored).toBe(cmp.expected);
      const rc = await redisClient(redis.url);
      expect(await rc.xLen(`gaps:{${ex}:${sym}}`)).toBe(0);
      await rc.close();
    }
    results[s.name] = report;
    return collector.carried;
  } finally {
    await collector.proc?.kill('SIGKILL');
    await sim.proc.kill('SIGTERM');
    await redis.stop();
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killTwice({ collector }: { collector: CollectorProcess }) {
  await wait(6000);
  await collector.kill9();
  await wait(1000);
  await collector.start();
  await wait(5000);
  await collector.kill9();
  await wait(1000);
  await collector.start();
}

async function redisRestart({ redis }: { redis: PrivateRedis }) {
  await wait(8000);
  await redis.restart(5000);
}

async function redisPause({ redis }: { redis: PrivateRedis }) {
  await wait(8000);
  const c = await redisClient(redis.url);
  await c.sendCommand(['CLIENT', 'PAUSE', '5000', 'ALL']);
  await c.close();
}

describe('zero message loss (processes: simulator, collector, Redis)', () => {
  afterEach(() => {
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/reliability.json', `${JSON.stringify(results, null, 2)}\n`);
  });

  it('survives dropped connections and withheld trade ids', { timeout: 180_000 }, async () => {
    await runScenario({ name: 'drops_and_gaps', simFlags: ['--drop-every', '4000', '--gap-every', '2000'] });
  });

  it('survives the collector being killed with SIGKILL twice', { timeout: 180_000 }, async () => {
    await runScenario({ name: 'collector_sigkill_x2', simFlags: [], during: killTwice });
  });

  it('survives a Redis restart (5 s down)', { timeout: 180_000 }, async () => {
    await runScenario({ name: 'redis_restart', simFlags: [], during: redisRestart });
  });

  it('survives Redis paused for 5 s (CLIENT PAUSE)', { timeout: 180_000 }, async () => {
    await runScenario({ name: 'redis_pause', simFlags: [], during: redisPause });
  });

  it('past MAX_PENDING (and near a small heap limit) pauses reading during a Redis outage, then catches up', {
    timeout: 180_000,
  }, async () => {
    const counters = await runScenario({
      name: 'buffer_limit',
      simFlags: [],
      collectorEnv: { MAX_PENDING: '5000', NODE_OPTIONS: '--max-old-space-size=64' },
      during: redisRestart,
    });
    // The buffer filled and reading paused; the process was never restarted (one process).
    expect(counters.overflows).toBeGreaterThan(0);
  });

  it('survives all of it at once', { timeout: 240_000 }, async () => {
    await runScenario({
      name: 'all_at_once',
      simFlags: ['--drop-every', '4000', '--gap-every', '2000', '--bad-frame-every', '500'],
      during: async (ctx) => {
        await Promise.all([killTwice(ctx), redisRestart(ctx)]);
      },
    });
  });
});
