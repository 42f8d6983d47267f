/**
 * The latest-trades cache on both stores: answers equal the store's tail after every kind
 * of change, and a refresh reads only what is new. The reader counts its reads (a real
 * StoreReader over a real store; nothing is faked).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatestTrades } from '../../src/api/latest-trades.js';
import { StoreReader } from '../../src/api/store-reader.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Exchange, Trade } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { aggregateByMinute } from '../../src/store/aggregate.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store, StoredTrade } from '../../src/store/store.js';
import { freshRedisUrl } from '../helpers/redis.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0) * 1000;

function trades(fromId: number, n: number): Trade[] {
  return Array.from({ length: n }, (_, i) => {
    const id = fromId + i;
    return {
      exchange: 'kraken' as const,
      symbol: 'ETH-USD',
      id,
      price: (3000 + (id % 97) / 100).toFixed(2),
      size: `0.${String(id).padStart(8, '0')}`,
      side: id % 2 ? ('buy' as const) : ('sell' as const),
      ts: T0 + id * 1000,
      recvTs: T0 + id * 1000 + 200,
    };
  });
}

class CountingReader extends StoreReader {
  full = 0;
  after = 0;

  override latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    this.full++;
    return super.latestTrades(exchange, symbol, limit);
  }

  override tradesAfter(exchange: Exchange, symbol: string, afterId: string, limit: number) {
    this.after++;
    return super.tradesAfter(exchange, symbol, afterId, limit);
  }
}

const serialize = (t: { trade_id: string }) => JSON.stringify(t);
const ids = (json: string) => (JSON.parse(json) as { trade_id: string }[]).map((t) => Number(t.trade_id));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function suite(name: string, make: () => Promise<Store>) {
  describe(`latest trades cache on the ${name} store`, () => {
    let store: Store;
    let reader: CountingReader;
    let cache: LatestTrades;
    let next = 1;
    const ingest = async (n: number) => {
      const batch = trades(next, n);
      next += n;
      await store.ingestTrades('kraken', 'ETH-USD', batch, aggregateByMinute(batch));
    };
    const latest = async (limit: number) =>
      ids((await cache.get('kraken', 'ETH-USD', limit, serialize as never)).json);
    const reads = () => ({ full: reader.full, after: reader.after });

    beforeAll(async () => {
      store = await make();
      await store.connect();
      reader = new CountingReader(store);
      cache = new LatestTrades(reader);
    });
    afterAll(() => store.close());

    it('appends new trades to the cached tail instead of reading it again', async () => {
      expect(await latest(100)).toEqual([]);
      await ingest(150);
      expect(await latest(100)).toEqual(range(51, 150));
      expect(reads()).toEqual({ full: 1, after: 0 });
      // Unchanged: served from the cache, any smaller limit too.
      expect(await latest(100)).toEqual(range(51, 150));
      expect(await latest(7)).toEqual(range(144, 150));
      expect(reads()).toEqual({ full: 1, after: 0 });
      for (const n of [1, 5, 60]) {
        await ingest(n);
        expect(await latest(100)).toEqual(range(next - 100, next - 1));
      }
      expect(reads()).toEqual({ full: 1, after: 3 });
      expect(await latest(3)).toEqual(range(next - 3, next - 1));
    });

    it('reads the whole tail again when more than it is new, or a deeper one is asked for', async () => {
      await ingest(250);
      expect(await latest(100)).toEqual(range(next - 100, next - 1));
      expect(reads()).toEqual({ full: 2, after: 4 });
      expect(await latest(300)).toEqual(range(next - 300, next - 1));
      expect(reads()).toEqual({ full: 3, after: 4 });
      await ingest(2);
      expect(await latest(300)).toEqual(range(next - 300, next - 1));
      expect(await latest(100)).toEqual(range(next - 100, next - 1));
      expect(reads()).toEqual({ full: 3, after: 5 });
    });

    it('concurrent requests after a change all get the new tail', async () => {
      await ingest(9);
      const answers = await Promise.all(Array.from({ length: 20 }, () => latest(50)));
      for (const a of answers) expect(a).toEqual(range(next - 50, next - 1));
    });
  });
}

suite('embedded', async () => new EmbeddedStore({ maxTradesPerMarket: 100_000 }));
// Database 7: the embedded suite of test/collector/books.test.ts leaves it unused.
suite('redis', async () => {
  const url = await freshRedisUrl(7);
  return new RedisStore({ url, streamMaxlen: 1_000_000, log: silentLogger, metrics: createMetrics() });
});
