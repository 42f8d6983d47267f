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

describe('alphapulse bench (smoke)', () => {
  it('runs 5000 trades/s for 5 s through simulator -> collector -> Redis and loses nothing', async () => {
    const json = join(dir, 'bench.json');
    // A private redis-server per run: never a shared REDIS_URL that may already hold data.
    const env = { ...process.env };
    delete env.REDIS_URL;
    delete env.REDIS_CLUSTER_NODES;
    const child = spawn(
      process.execPath,
      [BIN, 'bench', '--rate', '5000', '--duration', '5', '--json', json],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { sent: number; stored: number; lost: number };
    expect(result.sent, output).toBeGreaterThan(0);
    expect(result.lost, output).toBe(0);
  }, 120_000);
});
