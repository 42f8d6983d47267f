import { describe, expect, it } from 'vitest';
import { CrossMarketWatcher, findCross } from '../../src/collector/cross-market.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Exchange } from '../../src/core/types.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import type { BookTop } from '../../src/store/store.js';

const top = (exchange: Exchange, bid: string, ask: string): BookTop => ({
  exchange,
  symbol: 'BTC-USD',
  seq: 1,
  ts: 1,
  bids: [[bid, '1']],
  asks: [[ask, '1']],
});

describe('cross-exchange signals', () => {
  it('finds the widest cross between two exchanges', () => {
    const bests = new Map<Exchange, { bid: number; bidText: string; ask: number; askText: string }>([
      ['coinbase', { bid: 100.5, bidText: '100.5', ask: 100.6, askText: '100.6' }],
      ['kraken', { bid: 100.0, bidText: '100.0', ask: 100.1, askText: '100.1' }],
    ]);
    const c = findCross('BTC-USD', bests)!;
    expect(c).toMatchObject({ bidExchange: 'coinbase', bid: '100.5', askExchange: 'kraken', ask: '100.1' });
    expect(c.spreadBps).toBeCloseTo((0.4 / 100.3) * 10_000, 6);
    bests.set('coinbase', { bid: 100.05, bidText: '100.05', ask: 100.2, askText: '100.2' });
    expect(findCross('BTC-USD', bests)).toBeUndefined();
  });

  it('publishes once when a market crosses beyond the threshold, not for smaller crosses', async () => {
    const store = new EmbeddedStore({ maxTradesPerMarket: 10 });
    const w = new CrossMarketWatcher(store, 5, silentLogger);
    w.update('coinbase', 'BTC-USD', top('coinbase', '100.00', '100.02'));
    w.update('kraken', 'BTC-USD', top('kraken', '100.03', '100.05'));
    await new Promise((r) => setImmediate(r));
    expect(await store.signals('BTC-USD', 10)).toEqual([]); // 1 bp: below the 5 bp threshold
    w.update('kraken', 'BTC-USD', top('kraken', '100.20', '100.25')); // kraken bid 100.20 > coinbase ask 100.02
    w.update('kraken', 'BTC-USD', top('kraken', '100.21', '100.25')); // still crossed: no new signal within 1 s
    await new Promise((r) => setImmediate(r));
    const published = await store.signals('BTC-USD', 10);
    expect(published.length).toBe(1);
    expect(published[0]!.fields).toMatchObject({
      type: 'crossed',
      bid_exchange: 'kraken',
      bid: '100.20',
      ask_exchange: 'coinbase',
      ask: '100.02',
      started: '1',
    });
    // The cross ends, then starts again: a new signal at once.
    w.update('kraken', 'BTC-USD', top('kraken', '100.00', '100.05'));
    w.update('kraken', 'BTC-USD', top('kraken', '100.30', '100.35'));
    await new Promise((r) => setImmediate(r));
    expect((await store.signals('BTC-USD', 10)).length).toBe(2);
    // A book that goes away (reset) takes that exchange out of the comparison.
    w.update('coinbase', 'BTC-USD', undefined);
    w.update('kraken', 'BTC-USD', top('kraken', '100.40', '100.45'));
    await new Promise((r) => setImmediate(r));
    expect((await store.signals('BTC-USD', 10)).length).toBe(2);
  });
});
