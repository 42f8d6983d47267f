/** A client that stops reading lags but loses nothing: every visible trade arrives, in order. */

import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/core/types.js';
import { createCoinbaseParser } from '../../src/exchanges/coinbase/parse.js';
import { createKrakenParser } from '../../src/exchanges/kraken/parse.js';
import { startSimulators } from '../../src/sim/index.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { TestClient } from './support/client.js';

describe('backpressure', () => {
  it('a paused client gets every non-withheld trade in order once it reads again', async () => {
    // ~20 MB of Coinbase matches: far more than the socket buffers and the 1 MiB high-water mark.
    const sim = await startSimulators({
      exchanges: ['coinbase', 'kraken'],
      symbols: ['BTC-USD'],
      ratePerSymbol: 60_000,
      durationS: 1,
      seed: 17,
      ports: { coinbase: 0, kraken: 0 },
      faults: { gapEvery: 1000 },
    });
    const clients: Record<Exchange, TestClient> = {
      coinbase: await TestClient.open(sim.urls.coinbase!.ws),
      kraken: await TestClient.open(sim.urls.kraken!.ws),
    };
    try {
      clients.coinbase.send({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] });
      clients.kraken.send({
        method: 'subscribe',
        params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: false },
      });
      for (const c of Object.values(clients)) {
        await c.waitFor(() => c.frames.length >= 3, 'the first trades');
        c.ws.pause(); // stop reading the socket
      }
      await sim.done;
      const framesWhilePaused = clients.coinbase.frames.length;
      for (const c of Object.values(clients)) c.ws.resume();

      for (const exchange of ['coinbase', 'kraken'] as const) {
        const c = clients[exchange];
        const made = sim.trades(exchange, 'BTC-USD');
        const last = made.at(-1)!.id;
        const parse =
          exchange === 'coinbase' ? createCoinbaseParser(['BTC-USD']) : createKrakenParser(['BTC-USD']);
        const sink = new RecordingSink();
        let parsed = 0;
        await c.waitFor(
          () => {
            for (; parsed < c.frames.length; parsed++) parse(c.frames[parsed]!.text, 0, sink);
            return sink.tradeBatches.at(-1)?.trades.at(-1)?.id === last; // (allTrades copies: too slow per frame)
          },
          `${exchange}: the last trade`,
          30_000,
        );
        const ids = sink.allTrades.map((t) => t.id);
        const expected = made.filter((t) => t.id >= ids[0]! && !t.withheld).map((t) => t.id);
        expect(ids).toEqual(expected);
        expect(ids.length).toBeGreaterThan(50_000);
        expect(sink.malformedKinds).toEqual([]);
      }
      expect(framesWhilePaused).toBeLessThan(clients.coinbase.frames.length / 2);
    } finally {
      for (const c of Object.values(clients)) c.close();
      await sim.close();
    }
  });
});
