import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { LATENCY_BUCKETS_MS } from '../../src/metrics/registry.js';
import { uniform } from '../../src/sim/prng.js';

describe('allocation-free histogram', () => {
  it('renders exactly what a prom-client Histogram renders for the same observations', async () => {
    const a = new client.Registry();
    const b = new client.Registry();
    const fast = new FastHistogram('lat_ms', 'help text', 'exchange', LATENCY_BUCKETS_MS, [a]);
    const ref = new client.Histogram({
      name: 'lat_ms',
      help: 'help text',
      labelNames: ['exchange'],
      buckets: LATENCY_BUCKETS_MS,
      registers: [b],
    });
    const r = uniform(3);
    for (let i = 0; i < 5000; i++) {
      const ex = r() < 0.5 ? 'coinbase' : 'kraken';
      const v = r() < 0.01 ? 5000 * r() : r() * 3;
      fast.labels(ex).observe(v);
      ref.labels(ex).observe(v);
    }
    const lines = (t: string) => t.split('\n').sort();
    expect(lines(await a.metrics())).toEqual(lines(await b.metrics()));
    fast.reset();
    fast.labels('coinbase').observe(1);
    expect(await a.metrics()).toContain('lat_ms_count{exchange="coinbase"} 1');
  });
});
