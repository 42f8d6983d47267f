/**
 * Runs test/python/compat_client.py (Debian's /usr/bin/python3 with aiohttp) against a real
 * server: the API must answer the AlphaPulse backend's RustMarketDataRepository the way it
 * expects. Skipped (with a message) when aiohttp is missing, unless REQUIRE_PYTHON_COMPAT=1.
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { freshRedisUrl } from '../helpers/redis.js';
import { dataSet, fill, startApi } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../python/compat_client.py');
const REQUIRED = process.env.REQUIRE_PYTHON_COMPAT === '1';

const probe = spawnSync(PYTHON, ['-c', 'import aiohttp'], { encoding: 'utf8' });
const available = probe.status === 0;
const reason = available
  ? ''
  : `${PYTHON} cannot import aiohttp (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}); install it with: apt-get install -y python3-aiohttp`;

if (!available && !REQUIRED) {
  console.warn(
    `python compatibility test SKIPPED: ${reason} (set REQUIRE_PYTHON_COMPAT=1 to make this an error)`,
  );
}

const plain = (t: Trade) => ({
  ts_us: t.ts,
  price: t.price,
  size: t.size,
  side: t.side,
  trade_id: String(t.id),
});

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(PYTHON, args, {
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', rej);
    child.on('exit', (code) => res({ code, out }));
  });
}

function compatSuite(name: string, make: () => Promise<Store>) {
  describe.skipIf(!available && !REQUIRED)(`python client compatibility (${name} store)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-pycompat-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('serves RustMarketDataRepository exactly what it reads', async () => {
      if (!available) throw new Error(`REQUIRE_PYTHON_COMPAT=1 but ${reason}`);
      const store = await make();
      await store.connect();
      const ds = dataSet();
      await fill(store, ds);
      const api = await startApi(store);
      try {
        const btc = ds.trades.get('coinbase:BTC-USD')!;
        const eth = ds.trades.get('coinbase:ETH-USD')!;
        const startUs = btc[200]!.ts;
        const endUs = btc[650]!.ts;
        const all = [...ds.trades.values()];
        const ohlcvStart = eth[100]!.ts;
        const expectations = {
          trades: {
            symbol: 'BTC-USD',
            exchange: 'coinbase',
            start_us: startUs,
            end_us: endUs,
            limit: 1000,
            expected: btc.filter((t) => t.ts >= startUs && t.ts <= endUs).map(plain),
            latest: btc.slice(-100).map(plain),
          },
          ohlcv: {
            symbol: 'ETH-USD',
            exchange: 'coinbase',
            start_us: ohlcvStart,
            end_us: ohlcvStart + 3_600_000_000 + 123_456,
            trades: eth.map(plain),
          },
          symbols: { coinbase: ['BTC-USD', 'ETH-USD', 'SOL-EUR'], kraken: ['BTC-USD', 'ETH-USD'] },
          summary: {
            total_symbols: 2,
            total_exchanges: 2,
            total_records: all.reduce((n, l) => n + l.length, 0),
            first_us: Math.min(...all.map((l) => l[0]!.ts)),
            last_us: Math.max(...all.map((l) => l.at(-1)!.ts)),
            symbols_by_exchange: { coinbase: ['BTC-USD', 'ETH-USD'], kraken: ['BTC-USD', 'ETH-USD'] },
            record_count_by_symbol: Object.fromEntries(
              [...ds.trades.entries()].map(([k, list]) => [k, list.length]),
            ),
          },
        };
        const file = join(dir, `expectations-${name}.json`);
        writeFileSync(file, JSON.stringify(expectations));
        const { code, out } = await run([SCRIPT, api.base, file]);
        expect(out).toContain('python compat: OK');
        expect(code, out).toBe(0);
      } finally {
        await api.close();
        await store.close();
      }
    });
  });
}

compatSuite('redis', async () => {
  const url = await freshRedisUrl(10);
  return new RedisStore({ url, streamMaxlen: 1_000_000, log: silentLogger, metrics: createMetrics() });
});

compatSuite('embedded', async () => new EmbeddedStore({ maxTradesPerMarket: 100_000 }));
