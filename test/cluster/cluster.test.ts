/**
 * The whole system, unchanged, on a Redis Cluster made from scratch (3 masters on loopback):
 * the simulator, `alphapulse collect` (first with REDIS_URL at one node, then restarted with
 * REDIS_CLUSTER_NODES), `alphapulse serve` (REDIS_URL at another node), `alphapulse archive`
 * into a private PostgreSQL database, and a live reader tailing every stream through
 * readStreams. Every trade the simulator made from the first one received is checked in the
 * streams (exactly once, in order), in the API, in the live tail and in PostgreSQL.
 * Then blocking reads, NOSCRIPT and a node restart, in-process.
 */

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDecimal } from '../../src/core/decimal.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Exchange } from '../../src/core/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { aggregateByMinute, minuteBucket } from '../../src/store/aggregate.js';
import { keys } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { keySlot } from '../../src/store/redis/slot.js';
import type { StreamCursor } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase, TradeGen } from '../archive/helpers.js';
import { freePort, type Proc, spawnCli, startSimulator, waitFor } from '../helpers/process.js';
import { REDIS_BASE_URL } from '../helpers/redis.js';
import { compare, readTradeStream, type StreamTrade, simTrades, type TruthFile } from '../helpers/truth.js';
import { LocalCluster } from './helpers.js';

// One market per node of the default 3-master split (slots 0-5460, 5461-10922, 10923-16383),
// on both exchanges: 6 markets over 3 nodes.
const SYMBOLS = ['BTC-USD', 'ETH-USD', 'ETH-EUR'];
const EXCHANGES: Exchange[] = ['coinbase', 'kraken'];
const MARKETS: [Exchange, string][] = EXCHANGES.flatMap((ex) =>
  SYMBOLS.map((s) => [ex, s] as [Exchange, string]),
);
const RATE = 250; // trades/s per market
// Long enough for collector 2 to be up before the simulator stops, on a slow shared machine too.
const DURATION_S = 20;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newStore = (o: { url?: string; clusterNodes?: string[] }) =>
  new RedisStore({ ...o, streamMaxlen: 1_000_000, log: silentLogger, metrics: createMetrics() });

type ClusterClient = Awaited<ReturnType<LocalCluster['clusterClient']>>;

function clusterStream(c: ClusterClient, exchange: string, symbol: string): Promise<StreamTrade[]> {
  return readTradeStream(c, exchange, symbol);
}

async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('Redis Cluster', () => {
  let cluster: LocalCluster;
  let db: TestDatabase;
  const procs: Proc[] = [];
  const stores: RedisStore[] = [];

  beforeAll(async () => {
    [cluster, db] = await Promise.all([LocalCluster.start(3), createTestDatabase()]);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
    await db?.drop();
  });

  it('computes slots as the server does; REDIS_URL at any node (even with a database number) means the cluster', async () => {
    const n0 = await cluster.node(cluster.ports[0]!);
    for (const [ex, sym] of MARKETS) {
      for (const k of [keys.trades(ex, sym), keys.candles(ex, sym), keys.symbols(ex), keys.signals(sym)]) {
        expect(keySlot(k)).toBe(Number(await n0.sendCommand(['CLUSTER', 'KEYSLOT', k])));
      }
    }
    n0.destroy();
    const urls = [cluster.url(0), cluster.url(1), `${cluster.url(2)}/3`];
    for (const url of urls) {
      const s = newStore({ url });
      await s.connect();
      expect(s.link.mode).toBe('cluster');
      expect(s.healthy).toBe(true);
      expect(await s.ping()).toBe(true);
      await s.close();
    }
    const s = newStore({ clusterNodes: cluster.nodeList.split(',') });
    await s.connect();
    expect(s.link.mode).toBe('cluster');
    expect(s.healthy).toBe(true);
    await s.close();
    // A plain server stays the plain client.
    const single = newStore({ url: REDIS_BASE_URL });
    await single.connect();
    expect(single.link.mode).toBe('single');
    expect(single.healthy).toBe(true);
    await single.close();
  });

  it('runs the whole system: collect (REDIS_URL, then REDIS_CLUSTER_NODES), serve, archive, live tail; every trade exactly once', async () => {
    const truthFile = join(tmpdir(), `ap-cluster-truth-${process.pid}-${Date.now()}.json`);
    const sim = await startSimulator([
      '--exchanges',
      EXCHANGES.join(','),
      '--symbols',
      SYMBOLS.join(','),
      '--rate',
      String(RATE),
      '--duration',
      String(DURATION_S),
      '--truth-file',
      truthFile,
      '--seed',
      '7',
    ]);
    procs.push(sim.proc);
    const T = Date.now();
    const phase = (what: string) =>
      process.env.CLUSTER_TEST_TRACE && console.log(`[${Date.now() - T} ms] ${what}`);
    const common = {
      ...sim.env,
      EXCHANGES: EXCHANGES.join(','),
      SYMBOLS: SYMBOLS.join(','),
      COINBASE_REST_RPS: '50',
      KRAKEN_REST_RPS: '50',
      WS_COMPRESSION: 'false',
      LOG_LEVEL: process.env.CLUSTER_TEST_LOG ?? 'warn',
    };
    const c = await cluster.clusterClient();

    // The live tail: every stream of every market from the start, through readStreams.
    const tail = newStore({ url: cluster.url(2) });
    stores.push(tail);
    await tail.connect();
    const cursors: StreamCursor[] = MARKETS.flatMap(([exchange, symbol]) =>
      (['trades', 'book'] as const).map((stream) => ({ stream, exchange, symbol, afterId: '0-0' })),
    );
    const cursorOf = new Map(cursors.map((cur) => [`${cur.stream}:${cur.exchange}:${cur.symbol}`, cur]));
    const tailed = new Map<string, number[]>(MARKETS.map(([ex, sym]) => [`${ex}:${sym}`, []]));
    const tailBooks = new Map<string, number>();
    let stopTail = false;
    let tailErrors = 0;
    const tailLoop = (async () => {
      while (!stopTail) {
        try {
          for (const item of await tail.readStreams(cursors, 500, 300)) {
            cursorOf.get(`${item.stream}:${item.exchange}:${item.symbol}`)!.afterId = item.entry.streamId;
            const m = `${item.exchange}:${item.symbol}`;
            if (item.stream === 'trades') tailed.get(m)!.push(item.entry.id);
            else tailBooks.set(m, (tailBooks.get(m) ?? 0) + 1);
          }
        } catch {
          tailErrors++;
          await wait(50);
        }
      }
    })();

    // Collector 1: REDIS_URL at the second node.
    const m1 = await freePort();
    const collect1 = spawnCli(
      ['collect'],
      { ...common, REDIS_URL: cluster.url(1), METRICS_PORT: String(m1) },
      'collect-1',
    );
    procs.push(collect1);
    await waitFor('collector 1', async () => (await fetch(`http://127.0.0.1:${m1}/health`)).ok, 15_000, 100);

    phase('collector 1 spawned');
    // The API: REDIS_URL at the first node.
    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const serve = spawnCli(
      ['serve'],
      { ...common, REDIS_URL: cluster.url(0), API_PORT: String(apiPort) },
      'serve',
    );
    procs.push(serve);
    await waitFor('the API', async () => (await fetch(`${api}/health`)).status === 200, 15_000, 100);

    phase('api up');
    // The archiver (seed list), once every market announced itself.
    await waitFor(
      'every market in symbols:<exchange>',
      async () => {
        for (const ex of EXCHANGES)
          if ((await c.sMembers(keys.symbols(ex))).length < SYMBOLS.length) return false;
        return true;
      },
      15_000,
    );
    const archive = spawnCli(
      ['archive'],
      {
        ...common,
        REDIS_CLUSTER_NODES: cluster.nodeList,
        DATABASE_URL: db.url,
        METRICS_PORT: String(await freePort()),
        ARCHIVE_BATCH_SIZE: '500',
      },
      'archive',
    );
    procs.push(archive);

    phase('archive spawned');
    // Collector 1 stops cleanly mid-run; collector 2 (REDIS_CLUSTER_NODES) takes over and
    // back-fills what was made in between.
    await wait(Math.max(0, T + 4000 - Date.now()));
    expect(await collect1.kill('SIGTERM')).toBe(0);
    await wait(300);
    const m2 = await freePort();
    const collect2 = spawnCli(
      ['collect'],
      { ...common, REDIS_CLUSTER_NODES: cluster.nodeList, METRICS_PORT: String(m2) },
      'collect-2',
    );
    procs.push(collect2);
    await waitFor('collector 2', async () => (await fetch(`http://127.0.0.1:${m2}/health`)).ok, 15_000, 100);
    // The switch happened while the simulator was still making trades.
    expect(existsSync(truthFile)).toBe(false);

    phase('collector 2 spawned');
    await waitFor(
      'the simulator to finish (truth file)',
      () => existsSync(truthFile),
      (DURATION_S + 20) * 1000,
      200,
    );
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as TruthFile;
    rmSync(truthFile, { force: true });
    phase('truth file');
    await waitFor(
      'the last trade of every market in the cluster',
      async () => {
        for (const [ex, sym] of MARKETS) {
          if ((await c.hGet(keys.stats(ex, sym), 'last_trade_id')) !== truth[ex]![sym]!.last_trade_id)
            return false;
        }
        return true;
      },
      30_000,
      200,
    );
    // A market's keys on one slot, on the node that owns it; markets over every node.
    const owners = new Set<number>();
    for (const [ex, sym] of MARKETS) {
      const marketKeys = [
        keys.trades(ex, sym),
        keys.book(ex, sym),
        keys.bookTop(ex, sym),
        keys.candles(ex, sym),
        keys.stats(ex, sym),
      ];
      const slots = new Set(marketKeys.map(keySlot));
      expect(slots.size).toBe(1);
      const owner = await cluster.ownerOf([...slots][0]!);
      owners.add(owner);
      const node = await cluster.node(owner);
      expect(Number(await node.sendCommand(['EXISTS', ...marketKeys]))).toBe(marketKeys.length);
      node.destroy();
    }
    expect(owners.size).toBe(3);

    // The order books, while collector 2 keeps them (a stopping collector resets them).
    for (const [ex, sym] of MARKETS) {
      await waitFor(
        `${ex}:${sym} order book from the API = the stored top`,
        async () => {
          const book = await getJson<{
            sequence: number;
            bids: { price: number; size: number }[];
            asks: { price: number; size: number }[];
          }>(`${api}/orderbook/${sym}?exchange=${ex}&depth=10`);
          const top = JSON.parse((await c.get(keys.bookTop(ex, sym)))!) as {
            seq: number;
            bids: [string, string][];
            asks: [string, string][];
          };
          if (book.sequence !== top.seq) return false; // moved in between: ask again
          expect(book.bids).toEqual(
            top.bids.slice(0, 10).map(([p, s]) => ({ price: Number(p), size: Number(s) })),
          );
          expect(book.asks).toEqual(
            top.asks.slice(0, 10).map(([p, s]) => ({ price: Number(p), size: Number(s) })),
          );
          expect(book.bids.length).toBe(10);
          expect(book.bids[0]!.price).toBeLessThan(book.asks[0]!.price);
          for (let i = 1; i < 10; i++) {
            expect(book.bids[i]!.price).toBeLessThan(book.bids[i - 1]!.price);
            expect(book.asks[i]!.price).toBeGreaterThan(book.asks[i - 1]!.price);
          }
          return true;
        },
        10_000,
        20,
      );
    }
    expect(await collect2.kill('SIGTERM')).toBe(0);

    // 1. The streams against the simulator's truth.
    const streams = new Map<string, StreamTrade[]>();
    for (const [ex, sym] of MARKETS) {
      const rest = sim.env[ex === 'coinbase' ? 'COINBASE_REST_URL' : 'KRAKEN_REST_URL']!;
      const expected = await simTrades(ex, rest, sym);
      expect(expected.length).toBe(truth[ex]![sym]!.count);
      const stream = await clusterStream(c, ex, sym);
      streams.set(`${ex}:${sym}`, stream);
      const cmp = compare(stream, expected, stream[0]!.id);
      expect(cmp.missing, `${ex}:${sym} missing`).toEqual([]);
      expect(cmp.mismatched, `${ex}:${sym} mismatched`).toEqual([]);
      expect(cmp.duplicates).toBe(0);
      expect(cmp.outOfOrder).toBe(0);
      expect(cmp.stored).toBe(cmp.expected);
      expect(cmp.stored).toBeGreaterThan(RATE);
      expect(await c.xLen(keys.gaps(ex, sym))).toBe(0);
    }

    // 3. The API (its REDIS_URL is another node than the collectors').
    const summary = await getJson<{
      total_records: number;
      record_count_by_symbol: Record<string, number>;
      symbols_by_exchange: Record<string, string[]>;
    }>(`${api}/summary`);
    let total = 0;
    for (const [ex, sym] of MARKETS) {
      const n = await c.xLen(keys.trades(ex, sym));
      total += n;
      expect(summary.record_count_by_symbol[`${ex}:${sym}`]).toBe(n);
      expect(n).toBe(streams.get(`${ex}:${sym}`)!.length);
    }
    expect(summary.total_records).toBe(total);
    for (const ex of EXCHANGES) expect(summary.symbols_by_exchange[ex]).toEqual([...SYMBOLS].sort());
    for (const [ex, sym] of MARKETS) {
      const stream = streams.get(`${ex}:${sym}`)!;
      const trades = await getJson<{
        data: { trade_id: string; price: number; side: string; timestamp: number }[];
      }>(`${api}/trades/${sym}?exchange=${ex}&limit=200`);
      expect(trades.data.map((t) => t.trade_id)).toEqual(stream.slice(-200).map((t) => String(t.id)));
      expect(trades.data.map((t) => t.price)).toEqual(stream.slice(-200).map((t) => Number(t.price)));
      // Event-time range: the middle of the run.
      const a = stream[Math.floor(stream.length / 3)]!.ts;
      const b = stream[Math.floor((stream.length * 2) / 3)]!.ts;
      const ranged = await getJson<{ data: { trade_id: string }[] }>(
        `${api}/trades/${sym}?exchange=${ex}&start_time=${a / 1e6}&end_time=${b / 1e6}&limit=10000`,
      );
      expect(ranged.data.map((t) => Number(t.trade_id))).toEqual(
        stream.filter((t) => t.ts >= a && t.ts <= b).map((t) => t.id),
      );
      // 1-minute bars recomputed from the stream.
      const bars = await getJson<{
        data: {
          timestamp: number;
          open: number;
          high: number;
          low: number;
          close: number;
          volume: number;
          trades: number;
        }[];
      }>(`${api}/ohlcv/${sym}?exchange=${ex}&interval=1m&limit=100`);
      const byMinute = new Map<number, StreamTrade[]>();
      for (const t of stream) {
        const m = minuteBucket(t.ts);
        byMinute.set(m, [...(byMinute.get(m) ?? []), t]);
      }
      expect(bars.data.map((x) => x.timestamp)).toEqual([...byMinute.keys()].sort((x, y) => x - y));
      for (const bar of bars.data) {
        const ts = byMinute.get(bar.timestamp)!;
        expect(bar.trades).toBe(ts.length);
        expect(bar.open).toBe(Number(ts[0]!.price));
        expect(bar.close).toBe(Number(ts.at(-1)!.price));
        expect(bar.high).toBe(
          Number(ts.reduce((h, t) => (compareDecimal(t.price, h) > 0 ? t.price : h), ts[0]!.price)),
        );
        expect(bar.low).toBe(
          Number(ts.reduce((l, t) => (compareDecimal(t.price, l) < 0 ? t.price : l), ts[0]!.price)),
        );
        expect(bar.volume).toBeCloseTo(
          ts.reduce((v, t) => v + Number(t.size), 0),
          6,
        );
      }
    }

    // 4. The live tail saw every trade of every stream, once, in order; and book updates.
    await waitFor(
      'the live tail to catch up',
      () =>
        MARKETS.every(
          ([ex, sym]) => tailed.get(`${ex}:${sym}`)!.length >= streams.get(`${ex}:${sym}`)!.length,
        ),
      10_000,
    );
    stopTail = true;
    await tailLoop;
    for (const [ex, sym] of MARKETS) {
      expect(tailed.get(`${ex}:${sym}`)).toEqual(streams.get(`${ex}:${sym}`)!.map((t) => t.id));
      expect(tailBooks.get(`${ex}:${sym}`) ?? 0).toBe(await c.xLen(keys.book(ex, sym)));
    }
    expect(tailErrors).toBe(0);

    // 5. PostgreSQL holds every trade exactly once.
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      await waitFor(
        'the archiver to catch up',
        async () => Number((await pool.query('SELECT count(*) AS n FROM trades')).rows[0].n) === total,
        30_000,
        200,
      );
      for (const [ex, sym] of MARKETS) {
        const r = await pool.query<{ trade_id: string; price: string }>(
          'SELECT trade_id::text AS trade_id, price::text AS price FROM trades WHERE exchange = $1 AND symbol = $2 ORDER BY trade_id',
          [ex, sym],
        );
        const stream = streams.get(`${ex}:${sym}`)!;
        expect(r.rows.map((x) => Number(x.trade_id))).toEqual(stream.map((t) => t.id));
        expect(r.rows.every((x, i) => compareDecimal(x.price, stream[i]!.price) === 0)).toBe(true);
      }
    } finally {
      await pool.end();
    }
    expect(await archive.kill('SIGTERM')).toBe(0);
    expect(await serve.kill('SIGTERM')).toBe(0);
    await sim.proc.kill('SIGTERM');
    await c.close();
  }, 90_000);

  it('blocks across markets on different nodes and wakes on the first write; parked reads are reused', async () => {
    const store = newStore({ clusterNodes: cluster.nodeList.split(',') });
    stores.push(store);
    await store.connect();
    // Three markets of their own, one per node.
    const specs = [
      { exchange: 'coinbase' as const, symbol: 'SOL-USD', base: 150, priceDecimals: 2 },
      { exchange: 'coinbase' as const, symbol: 'AVAX-USD', base: 30, priceDecimals: 2 },
      { exchange: 'coinbase' as const, symbol: 'BTC-EUR', base: 60000, priceDecimals: 2 },
    ];
    const nodes = new Set(specs.map((s) => store.link.nodeFor(keys.trades(s.exchange, s.symbol))));
    expect(nodes.size).toBe(3);
    const gens = specs.map((s, i) => new TradeGen(s, 100 + i, 1));
    const cursors: StreamCursor[] = [];
    for (const s of specs) {
      for (const stream of ['trades', 'book'] as const) {
        cursors.push({
          stream,
          exchange: s.exchange,
          symbol: s.symbol,
          afterId: await store.lastStreamId(stream, s.exchange, s.symbol),
        });
      }
    }
    const write = async (i: number, n: number) => {
      const t = gens[i]!.next(n);
      const r = await store.ingestTrades(specs[i]!.exchange, specs[i]!.symbol, t, aggregateByMinute(t));
      expect(r.written).toBe(n);
      return t.map((x) => x.id);
    };
    for (const target of [1, 2, 0]) {
      const started = performance.now();
      const reading = store.readStreams(cursors, 100, 4000);
      await wait(150);
      const ids = await write(target, 5);
      const got = await reading;
      const elapsed = performance.now() - started;
      expect(got.map((g) => `${g.symbol}:${g.stream === 'trades' ? g.entry.id : 'book'}`)).toEqual(
        ids.map((id) => `${specs[target]!.symbol}:${id}`),
      );
      expect(elapsed).toBeLessThan(1500);
      const cur = cursors.find((c) => c.stream === 'trades' && c.symbol === specs[target]!.symbol)!;
      cur.afterId = got.at(-1)!.entry.streamId;
    }
    // One blocking connection per market at most: quiet markets' reads were adopted, not re-sent.
    expect(store.link.blockingConnections).toBeLessThanOrEqual(specs.length);
    // Nothing new: an empty answer after about blockMs; `$` and non-blocking reads too.
    let t0 = performance.now();
    expect(await store.readStreams(cursors, 100, 300)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(2000);
    t0 = performance.now();
    expect(
      await store.readStreams(
        cursors.map((c) => ({ ...c, afterId: '$' })),
        100,
        0,
      ),
    ).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(500);
    // Entries already there come back without blocking, every market in one call.
    const fromStart = await store.readStreams(
      cursors.filter((c) => c.stream === 'trades').map((c) => ({ ...c, afterId: '0' })),
      2,
      5000,
    );
    expect(fromStart.map((g) => `${g.symbol}:${g.stream === 'trades' ? g.entry.id : ''}`).sort()).toEqual(
      specs.flatMap((s) => [`${s.symbol}:1`, `${s.symbol}:2`]).sort(),
    );
  }, 30_000);

  it('survives a node restart: ready follows the node, scripts are reloaded (NOSCRIPT), writes and reads resume', async () => {
    const store = newStore({ url: cluster.url(0) });
    stores.push(store);
    await store.connect();
    const spec = { exchange: 'kraken' as const, symbol: 'SOL-USD', base: 150, priceDecimals: 2 };
    const gen = new TradeGen(spec, 42, 1);
    const key = keys.trades(spec.exchange, spec.symbol);
    const ingest = async (n: number) => {
      const t = gen.next(n);
      return store.ingestTrades(spec.exchange, spec.symbol, t, aggregateByMinute(t));
    };
    expect((await ingest(100)).written).toBe(100);
    // An emptied script cache (what a restarted node has): EVALSHA fails, EVAL reloads.
    for (const port of cluster.ports) {
      const n = await cluster.node(port);
      await n.sendCommand(['SCRIPT', 'FLUSH']);
      n.destroy();
    }
    expect((await ingest(100)).written).toBe(100);
    expect((await store.marketStats(spec.exchange, spec.symbol))?.count).toBe(200);

    const owner = await cluster.ownerOf(keySlot(key));
    await cluster.stopNode(owner);
    await waitFor('the link to notice the node is gone', () => !store.healthy, 10_000, 50);
    expect(await store.ping()).toBe(false);
    await expect(store.latestTrades(spec.exchange, spec.symbol, 10)).rejects.toThrow(/not connected/);

    await cluster.startNode(owner);
    await cluster.waitOk();
    await waitFor('the link to be ready again', () => store.healthy, 15_000, 50);
    expect(await store.ping()).toBe(true);
    // The node came back empty (no persistence here) and with an empty script cache.
    const r = await ingest(50);
    expect(r.written).toBe(50);
    const latest = await store.latestTrades(spec.exchange, spec.symbol, 1000);
    expect(latest.map((t) => t.id)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));
    const items = await store.readStreams(
      [{ stream: 'trades', exchange: spec.exchange, symbol: spec.symbol, afterId: '0' }],
      1000,
      100,
    );
    expect(items.length).toBe(50);
  }, 45_000);

  it('waits for a cluster that is not formed yet: nodes up, slots unassigned, then created', async () => {
    const late = await LocalCluster.start(3, false);
    try {
      const store = newStore({ url: late.url(1) });
      stores.push(store);
      expect(await store.link.connect(500)).toBe(false);
      expect(store.link.mode).toBe('cluster');
      expect(await store.ping()).toBe(false);
      await late.create();
      await waitFor('the link to see the new cluster', () => store.healthy, 15_000, 50);
      const t = new TradeGen(
        { exchange: 'kraken', symbol: 'BTC-USD', base: 60000, priceDecimals: 1 },
        5,
        1,
      ).next(10);
      expect((await store.ingestTrades('kraken', 'BTC-USD', t, aggregateByMinute(t))).written).toBe(10);
      expect((await store.latestTrades('kraken', 'BTC-USD', 100)).map((x) => x.id)).toEqual(
        t.map((x) => x.id),
      );
      await store.close();
    } finally {
      await late.stop();
    }
  }, 30_000);
});
