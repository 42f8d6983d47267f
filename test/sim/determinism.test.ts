/** The same seed gives the same trades (prices, sizes, sides, ids and withheld flags). */

import { describe, expect, it } from 'vitest';
import { type RunningSimulators, startSimulators } from '../../src/sim/index.js';
import { until } from './support/client.js';

const N = 300;

async function firstTrades(seed: number) {
  const sim: RunningSimulators = await startSimulators({
    exchanges: ['coinbase', 'kraken'],
    symbols: ['BTC-USD', 'SOL-EUR'],
    ratePerSymbol: 5000,
    seed,
    ports: { coinbase: 0, kraken: 0 },
    faults: { gapEvery: 10 },
  });
  try {
    await until(
      () => Object.values(sim.truth()).every((e) => Object.values(e).every((t) => t.count >= N)),
      `${N} trades`,
    );
    sim.stopGenerating();
    const out: Record<string, unknown[]> = {};
    for (const exchange of ['coinbase', 'kraken'] as const) {
      for (const symbol of ['BTC-USD', 'SOL-EUR']) {
        out[`${exchange} ${symbol}`] = sim
          .trades(exchange, symbol)
          .slice(0, N)
          .map(({ id, price, size, takerSide, withheld }) => ({ id, price, size, takerSide, withheld }));
      }
    }
    return out;
  } finally {
    await sim.close();
  }
}

describe('determinism', () => {
  it('replays the same first trades for the same seed, and different ones for another seed', async () => {
    const a = await firstTrades(42);
    const b = await firstTrades(42);
    const c = await firstTrades(43);
    expect(b).toEqual(a);
    expect(c['coinbase BTC-USD']).not.toEqual(a['coinbase BTC-USD']);
    // Sanity: the walk moves, sides are mixed, and gaps withhold some trades.
    const trades = a['kraken BTC-USD'] as { price: string; takerSide: string; withheld: boolean }[];
    expect(new Set(trades.map((t) => t.price)).size).toBeGreaterThan(3);
    expect(new Set(trades.map((t) => t.takerSide)).size).toBe(2);
    expect(trades.some((t) => t.withheld)).toBe(true);
  });
});
