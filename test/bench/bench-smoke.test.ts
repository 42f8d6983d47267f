/**
 * CI smoke run of `alphapulse bench` (needs `npm run build`, which `npm test` does first):
 * the whole benchmark machinery end to end — private redis-server, simulator and collector
 * processes, truth-file loss count, latency file — at a modest rate. It asserts only that
 * nothing was lost; timing thresholds are never checked in CI (shared, noisy machines).
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/alphapulse.js');
const dir = mkdtempSync(join(tmpdir(), 'alphapulse-bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bench(args: string[]): Promise<{ output: string; code: number | null }> {
  // A private redis-server per run: never a shared REDIS_URL that may already hold data.
  const env = { ...process.env };
  delete env.REDIS_URL;
  delete env.REDIS_CLUSTER_NODES;
  const child = spawn(process.execPath, [BIN, 'bench', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { output, code };
}

describe('alphapulse bench (smoke)', () => {
  it('runs 5000 trades/s for 5 s through simulator -> collector -> Redis and loses nothing', async () => {
    const json = join(dir, 'bench.json');
    const { output, code } = await bench(['--rate', '5000', '--duration', '5', '--json', json]);
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      sent: number;
      stored: number;
      lost: number;
      scheduling: { realtime: boolean; collector: string };
    };
    expect(result.sent, output).toBeGreaterThan(0);
    expect(result.lost, output).toBe(0);
    // Without --realtime the processes keep the default time-sharing policy.
    expect(result.scheduling.realtime).toBe(false);
    expect(result.scheduling.collector).toBe('SCHED_OTHER');
  }, 120_000);

  it('does the same over compressed (permessage-deflate) streams', async () => {
    const json = join(dir, 'bench-compressed.json');
    const { output, code } = await bench([
      '--rate',
      '5000',
      '--duration',
      '5',
      '--compressed',
      '--json',
      json,
    ]);
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      sent: number;
      lost: number;
      compression: boolean;
    };
    expect(result.compression).toBe(true);
    expect(result.sent, output).toBeGreaterThan(0);
    expect(result.lost, output).toBe(0);
  }, 120_000);

  it('runs under real-time scheduling with --realtime, as the kernel reports for each process', async (ctx) => {
    const json = join(dir, 'bench-realtime.json');
    const { output, code } = await bench(['--rate', '2000', '--duration', '2', '--realtime', '--json', json]);
    if (code !== 0 && /CAP_SYS_NICE/.test(output) && process.getuid?.() !== 0)
      ctx.skip('no CAP_SYS_NICE here');
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      sent: number;
      lost: number;
      scheduling: { realtime: boolean; collector: string; redis: string; simulator: string };
    };
    expect(result.scheduling).toEqual({
      realtime: true,
      collector: 'SCHED_FIFO 10',
      redis: 'SCHED_FIFO 10',
      simulator: 'SCHED_FIFO 5',
    });
    expect(result.sent, output).toBeGreaterThan(0);
    expect(result.lost, output).toBe(0);
  }, 120_000);
});

describe('the floor loop in the benchmark harness', () => {
  it('stores every trade the simulator made when it runs in the collector place', async () => {
    // From dist/, as `npm run bench:floor` runs it (npm test builds first).
    const { runBench } = (await import(
      join(ROOT, 'dist/bench/run-bench.js')
    )) as typeof import('../../src/bench/run-bench.js');
    // No redisUrl: a private redis-server for the run.
    const r = await runBench({ rate: 2000, durationS: 2, warmupS: 1, markets: 2, program: 'floor' });
    expect(r.sent).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
    expect(r.latency_by_exchange_ms.coinbase?.count).toBeGreaterThan(0);
    expect(r.latency_by_exchange_ms.kraken?.count).toBeGreaterThan(0);
  }, 120_000);
});
