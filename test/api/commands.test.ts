/**
 * `alphapulse serve` and `alphapulse run --simulate` as real processes (the built CLI:
 * `npm run build` first; `npm test` does): they answer over HTTP and exit 0 on a signal.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../archive/helpers.js';
import { PrivateRedis, type Proc, spawnCli, waitFor } from '../helpers/process.js';
import { get } from './helpers.js';

const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill('SIGKILL');
});

async function listening(p: Proc): Promise<string> {
  const m = await p.waitForLine(/"msg":"API listening"/, 30_000);
  const url = /"url":"(http:\/\/[^"]+)"/.exec(m.input ?? '')?.[1];
  expect(url).toBeDefined();
  return url!;
}

const env = { API_HOST: '127.0.0.1', API_PORT: '0', REDIS_URL: '', REDIS_CLUSTER_NODES: '' };

describe('commands', () => {
  it('serve: answers from the embedded store and exits 0 on SIGTERM', async () => {
    const p = spawnCli(['serve'], env, 'serve');
    procs.push(p);
    const base = await listening(p);
    const h = await get(base, '/health');
    expect(h.status).toBe(200);
    expect(h.body.components.store).toBe('embedded');
    const s = await get(base, '/summary');
    expect(s.body).toMatchObject({ total_records: 0, date_range: { start: null, end: null } });
    expect(await p.kill('SIGTERM')).toBe(0);
  });

  it('serve: reads Redis when REDIS_URL is set', async () => {
    const redis = await PrivateRedis.start(false);
    try {
      const p = spawnCli(['serve'], { ...env, REDIS_URL: redis.url }, 'serve-redis');
      procs.push(p);
      const base = await listening(p);
      const h = await get(base, '/health');
      expect(h.body.components).toMatchObject({ store: 'redis', redis: 'healthy' });
      expect(await p.kill('SIGINT')).toBe(0);
    } finally {
      await redis.stop();
    }
  });

  it('run --simulate: collects from in-process simulators and serves them, then exits 0', async () => {
    const p = spawnCli(['run', '--simulate'], { ...env, SYMBOLS: 'BTC-USD,ETH-USD' }, 'run');
    procs.push(p);
    const base = await listening(p);
    await p.waitForLine(/SIMULATED/, 10_000);
    for (const exchange of ['coinbase', 'kraken']) {
      await waitFor(
        `${exchange} trades through the API`,
        async () => (await get(base, `/trades/BTC-USD?exchange=${exchange}&limit=5`)).body?.count > 0,
        30_000,
      );
    }
    const t = await get(base, '/trades/btc%2Fusd/recent?limit=5');
    expect(t.body.data.length).toBeGreaterThan(0);
    const summary = await get(base, '/summary');
    expect(summary.body.total_records).toBeGreaterThan(0);
    await waitFor(
      'order books',
      async () => (await get(base, '/spread/BTC-USD')).body?.best_bid !== null,
      30_000,
    );
    const health = await waitFor(
      'healthy collectors',
      async () => {
        const h = await get(base, '/health');
        return h.body.status === 'ok' ? h : undefined;
      },
      30_000,
    );
    expect(Object.keys(health.body.components.collectors).sort()).toEqual(['coinbase', 'kraken']);
    expect(await p.kill('SIGINT')).toBe(0);
    expect(p.lines.some((l) => l.includes('stopped cleanly'))).toBe(true);
  });

  it('run: starts the history writer too when DATABASE_URL is set (with Redis)', async () => {
    const redis = await PrivateRedis.start(false);
    const db = await createTestDatabase();
    try {
      const p = spawnCli(
        ['run', '--simulate'],
        { ...env, REDIS_URL: redis.url, DATABASE_URL: db.url, SYMBOLS: 'BTC-USD' },
        'run-archive',
      );
      procs.push(p);
      const base = await listening(p);
      await p.waitForLine(/"msg":"archiver started"/, 30_000);
      await waitFor(
        'trades',
        async () => (await get(base, '/trades/BTC-USD?limit=1')).body?.count > 0,
        30_000,
      );
      expect(await p.kill('SIGTERM')).toBe(0);
      expect(p.lines.some((l) => l.includes('"msg":"archiver stopped"'))).toBe(true);
    } finally {
      await redis.stop();
      await db.drop();
    }
  });
});
