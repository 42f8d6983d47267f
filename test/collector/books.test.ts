import { afterEach, describe, expect, it } from 'vitest';
import { canonicalDecimal } from '../../src/core/decimal.js';
import type { Exchange, LevelText } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';
import { type Harness, metricValue, type StoreKind, startHarness } from '../helpers/collector-harness.js';
import { waitFor } from '../helpers/process.js';

const DEPTH = 25;
const MARKETS: [Exchange, string][] = [
  ['coinbase', 'BTC-USD'],
  ['coinbase', 'ETH-USD'],
  ['kraken', 'BTC-USD'],
  ['kraken', 'ETH-USD'],
];

const norm = (levels: readonly LevelText[]) =>
  levels.map(([p, s]) => [canonicalDecimal(p), canonicalDecimal(s)]);

/** What a consumer of `book:{ex:SYM}` holds after replaying it from the start. */
async function replayBookStream(store: Store, exchange: Exchange, symbol: string) {
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  let after = '0';
  for (;;) {
    const items = await store.readStreams([{ stream: 'book', exchange, symbol, afterId: after }], 1000, 0);
    if (items.length === 0) break;
    for (const it of items) {
      if (it.stream !== 'book') continue;
      const e = it.entry;
      after = e.streamId;
      if (e.type !== 'update') {
        bids.clear();
        asks.clear();
      }
      for (const [p, s] of e.bids)
        Number(s) === 0 ? bids.delete(canonicalDecimal(p)) : bids.set(canonicalDecimal(p), s);
      for (const [p, s] of e.asks)
        Number(s) === 0 ? asks.delete(canonicalDecimal(p)) : asks.set(canonicalDecimal(p), s);
    }
  }
  const sorted = (m: Map<string, string>, desc: boolean) =>
    [...m.entries()].sort((a, b) =>
      desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]),
    ) as LevelText[];
  return { bids: sorted(bids, true), asks: sorted(asks, false) };
}

function suite(kind: StoreKind, db: number) {
  describe(`order books on the ${kind} store`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it('detects every corruption, resyncs only that market, and ends equal to the exchange book', async () => {
      h = await startHarness({
        store: kind,
        db,
        rate: 20,
        bookRate: 40,
        faults: { corruptChecksumEvery: 25 },
        env: { BOOK_DEPTH: String(DEPTH) },
      });
      await new Promise((r) => setTimeout(r, 5000));
      h.sim.stopGenerating();
      const harness = h;
      // The books settle once the last updates (and any resync snapshot) arrived.
      await waitFor(
        'books equal to the simulator',
        () =>
          MARKETS.every(([ex, sym]) => {
            const sync = harness.collector.books.get(`${ex}:${sym}`)!;
            if (!sync.isLive) return false;
            const truth = harness.sim.book(ex, sym);
            const ours = { bids: sync.book.bids.top(), asks: sync.book.asks.top() };
            const want =
              ex === 'kraken'
                ? { bids: truth.bids.slice(0, DEPTH), asks: truth.asks.slice(0, DEPTH) }
                : truth;
            return (
              JSON.stringify(norm(ours.bids.map((l) => [l.price, l.size]))) ===
                JSON.stringify(norm(want.bids)) &&
              JSON.stringify(norm(ours.asks.map((l) => [l.price, l.size]))) ===
                JSON.stringify(norm(want.asks))
            );
          }),
        20_000,
        200,
      );
      // Compare full depth: Coinbase keeps the whole book, Kraken the subscribed depth.
      for (const [ex, sym] of MARKETS) {
        const sync = h.collector.books.get(`${ex}:${sym}`)!;
        const truth = h.sim.book(ex, sym);
        if (ex === 'coinbase') expect(sync.book.bids.size).toBe(truth.bids.length);
        // What the store publishes: the top-N snapshot and the stream a consumer replays.
        const top = await h.store.bookTop(ex, sym);
        expect(norm(top!.bids)).toEqual(norm(truth.bids.slice(0, DEPTH)));
        expect(norm(top!.asks)).toEqual(norm(truth.asks.slice(0, DEPTH)));
        const replayed = await replayBookStream(h.store, ex, sym);
        expect(norm(replayed.bids)).toEqual(norm(truth.bids.slice(0, DEPTH)));
        expect(norm(replayed.asks)).toEqual(norm(truth.asks.slice(0, DEPTH)));
      }
      // Every Kraken corruption was a checksum failure; every Coinbase one a crossed book.
      const krakenFailures = await metricValue(h.metrics, 'book_checksum_failures_total', {
        exchange: 'kraken',
      });
      expect(krakenFailures).toBeGreaterThan(2);
      // The simulator corrupts every 25th book update it sends on the connection. Updates
      // received = book messages - snapshots (one per market at start, one per resync).
      for (const f of h.collector.feeds) f.flushCounts();
      const krakenResyncs = await metricValue(h.metrics, 'book_resyncs_total', { exchange: 'kraken' });
      const bookMessages = await metricValue(h.metrics, 'websocket_messages_total', {
        exchange: 'kraken',
        type: 'book',
      });
      const injected = Math.floor((bookMessages - 2 - krakenResyncs) / 25);
      expect(krakenFailures).toBe(injected);
      expect(
        await metricValue(h.metrics, 'book_resyncs_total', { exchange: 'kraken' }),
      ).toBeGreaterThanOrEqual(krakenFailures);
      expect(await metricValue(h.metrics, 'book_resyncs_total', { exchange: 'coinbase' })).toBeGreaterThan(2);
      expect(await metricValue(h.metrics, 'book_checksum_failures_total', { exchange: 'coinbase' })).toBe(0);
      // Resyncs are per market: the connection never dropped.
      expect(await metricValue(h.metrics, 'websocket_reconnections_total')).toBe(0);
      // Trades were not disturbed by the book resyncs.
      expect(await metricValue(h.metrics, 'trade_gaps_total')).toBe(0);
    });
  });
}

suite('redis', 6);
suite('embedded', 7);
