/** The production store: Redis Streams and hashes in the layout of CONTRACT.md section 4. */

import type { Logger } from '../../core/logger.js';
import type { Candle, Exchange, Trade } from '../../core/types.js';
import { isExchange } from '../../core/types.js';
import type { Metrics } from '../../metrics/registry.js';
import { minuteBucket } from '../aggregate.js';
import { bookFields, decodeBook, decodeTrade, type RawEntry } from '../codec.js';
import { keys } from '../keys.js';
import {
  type BookEntry,
  type BookTop,
  type CollectorReport,
  type IngestResult,
  type MarketStats,
  type MinuteAggregate,
  type Store,
  type StoredTrade,
  StoreUnavailableError,
  type StreamCursor,
  type StreamItem,
} from '../store.js';
import { type RedisArg, RedisLink } from './link.js';
import { packTrades } from './pack.js';
import { INGEST, TRADES_IN_RANGE, TRIM_CANDLES } from './scripts.js';
import { ClusterStreamReader, type XReadReply } from './stream-reader.js';

export interface RedisStoreOptions {
  url?: string | undefined;
  clusterNodes?: string[] | undefined;
  streamMaxlen: number;
  bookStreamMaxlen?: number;
  log: Logger;
  metrics: Metrics;
  /** Reads give up after this long (the API answers 503). */
  readTimeoutMs?: number;
}

interface OpMetrics {
  ok: { inc(): void };
  error: { inc(): void };
  latency: { observe(ms: number): void };
}

/** Stream entries as trades, in the order read; entries that do not decode are left out. */
function decodeTrades(raw: readonly RawEntry[]): StoredTrade[] {
  const out: StoredTrade[] = [];
  for (const e of raw) {
    const t = decodeTrade(e);
    if (t) out.push(t);
  }
  return out;
}

const BOOK_MAXLEN_DEFAULT = 100_000;
const SIGNAL_MAXLEN = 10_000;
/** Candle retention deletes at most a day of minutes per script call. */
const TRIM_SPAN_S = 86_400;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly link: RedisLink;
  private clusterReader: ClusterStreamReader | undefined;
  private readonly readTimeoutMs: number;

  constructor(private readonly options: RedisStoreOptions) {
    this.link = new RedisLink({
      url: options.url,
      clusterNodes: options.clusterNodes,
      log: options.log,
      name: 'main',
    });
    this.readTimeoutMs = options.readTimeoutMs ?? 2000;
  }

  get healthy(): boolean {
    return this.link.ready;
  }

  async connect(): Promise<void> {
    const ok = await this.link.connect();
    if (!ok) this.options.log.warn({ store: 'redis' }, 'redis not reachable yet; retrying in the background');
  }

  async close(): Promise<void> {
    this.clusterReader?.clear();
    await this.link.close();
  }

  async ping(): Promise<boolean> {
    if (!this.link.ready) return false;
    try {
      // Every master of a cluster: the store is up when the whole keyspace answers.
      await this.timed('ping', () => this.link.ping(), 1000);
      return true;
    } catch {
      return false;
    }
  }

  private readonly opMetrics = new Map<string, OpMetrics>();

  /** The operation's metric series, looked up once (prom-client hashes the labels on every call). */
  private op(operation: string): OpMetrics {
    let o = this.opMetrics.get(operation);
    if (!o) {
      const m = this.options.metrics;
      o = {
        ok: m.redisOps.labels(operation, 'ok'),
        error: m.redisOps.labels(operation, 'error'),
        latency: m.redisLatency.labels(operation),
      };
      this.opMetrics.set(operation, o);
    }
    return o;
  }

  /** Runs one store operation with metrics; reads get a timeout so callers can answer 503. */
  private async timed<T>(operation: string, fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
    const m = this.op(operation);
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn();
      const result =
        timeoutMs === undefined
          ? await work
          : await Promise.race([
              work,
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new StoreUnavailableError(`redis ${operation} timed out`)),
                  timeoutMs,
                );
              }),
            ]);
      m.ok.inc();
      m.latency.observe(performance.now() - start);
      return result;
    } catch (e) {
      m.error.inc();
      if (e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(`redis ${operation} failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private read<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (!this.link.ready) return Promise.reject(new StoreUnavailableError('redis is not connected'));
    return this.timed(operation, fn, this.readTimeoutMs);
  }

  // ---- writer side ----

  async ingestTrades(
    exchange: Exchange,
    symbol: string,
    trades: readonly Trade[],
    aggregates: readonly MinuteAggregate[],
    expectedPrev?: number,
    chainAfter?: number,
  ): Promise<IngestResult> {
    const args: RedisArg[] = new Array(8 + aggregates.length * 7);
    args[0] = String(this.options.streamMaxlen);
    args[1] = exchange;
    args[2] = symbol;
    args[3] = expectedPrev === undefined || expectedPrev < 0 ? '' : String(expectedPrev);
    args[4] = chainAfter === undefined ? '' : String(chainAfter);
    args[5] = String(trades.length);
    args[6] = String(aggregates.length);
    // One argument for the whole batch (see INGEST).
    args[7] = packTrades(trades);
    let i = 8;
    for (const a of aggregates) {
      args[i++] = String(a.bucket);
      args[i++] = a.o;
      args[i++] = a.h;
      args[i++] = a.l;
      args[i++] = a.c;
      args[i++] = a.v;
      args[i++] = String(a.n);
    }
    const k = [keys.trades(exchange, symbol), keys.stats(exchange, symbol), keys.candles(exchange, symbol)];
    const reply = await this.timed('ingest', () =>
      this.link.evalScript<[number, number, string]>(INGEST, k, args),
    );
    const [written, duplicates, before] = reply;
    const lastBefore = before === '' ? -1 : Number(before);
    if (written < 0) return { written, duplicates: 0, lastTradeId: lastBefore };
    // The batch is ascending, so afterwards the stored last id is the larger of the two.
    const lastTradeId = Math.max(lastBefore, trades.at(-1)?.id ?? -1);
    return { written, duplicates, lastTradeId };
  }

  async marketStats(exchange: Exchange, symbol: string): Promise<MarketStats | undefined> {
    const flat = await this.read('stats', () =>
      this.link.send<string[]>(keys.stats(exchange, symbol), ['HGETALL', keys.stats(exchange, symbol)], true),
    );
    return parseStats(exchange, symbol, flat);
  }

  async addSymbol(exchange: Exchange, symbol: string): Promise<void> {
    await this.timed('symbols', () =>
      this.link.send(keys.symbols(exchange), ['SADD', keys.symbols(exchange), symbol]),
    );
  }

  async appendBook(
    exchange: Exchange,
    symbol: string,
    entry: BookEntry,
    top: BookTop | undefined,
  ): Promise<void> {
    const maxlen = String(this.options.bookStreamMaxlen ?? BOOK_MAXLEN_DEFAULT);
    const bookKey = keys.book(exchange, symbol);
    const ops: Promise<unknown>[] = [
      this.link.send(bookKey, ['XADD', bookKey, 'MAXLEN', '~', maxlen, '*', ...bookFields(entry)]),
    ];
    const topKey = keys.bookTop(exchange, symbol);
    if (top) ops.push(this.link.send(topKey, ['SET', topKey, JSON.stringify(top)]));
    else ops.push(this.link.send(topKey, ['DEL', topKey]));
    await this.timed('book', () => Promise.all(ops));
  }

  async recordGap(
    exchange: Exchange,
    symbol: string,
    fromTradeId: number,
    toTradeId: number,
    reason: string,
  ): Promise<void> {
    const k = keys.gaps(exchange, symbol);
    await this.timed('gap', () =>
      this.link.send(k, [
        'XADD',
        k,
        '*',
        'from_trade_id',
        String(fromTradeId),
        'to_trade_id',
        String(toTradeId),
        'reason',
        reason,
      ]),
    );
  }

  async trimCandles(exchange: Exchange, symbol: string, beforeBucket: number): Promise<number> {
    const sk = keys.stats(exchange, symbol);
    const ck = keys.candles(exchange, symbol);
    const [firstTs, candlesFrom] = await this.timed('trim_candles', () =>
      this.link.send<(string | null)[]>(sk, ['HMGET', sk, 'first_ts', 'candles_from']),
    );
    if (firstTs === null || firstTs === undefined) return 0;
    // Candles start with the first trade Redis was given, or where the last trim stopped.
    let from = candlesFrom ? Number(candlesFrom) : minuteBucket(Number(firstTs));
    const until = minuteBucket(beforeBucket * 1_000_000);
    let deleted = 0;
    while (from < until) {
      // A day of minutes per call keeps each script short (Redis runs one at a time).
      const to = Math.min(until, from + TRIM_SPAN_S);
      deleted += await this.timed('trim_candles', () =>
        this.link.evalScript<number>(TRIM_CANDLES, [sk, ck], [String(from), String(to)]),
      );
      from = to;
    }
    return deleted;
  }

  async publishSignal(symbol: string, fields: Record<string, string>): Promise<void> {
    const k = keys.signals(symbol);
    await this.timed('signal', () =>
      this.link.send(k, [
        'XADD',
        k,
        'MAXLEN',
        '~',
        String(SIGNAL_MAXLEN),
        '*',
        ...Object.entries(fields).flat(),
      ]),
    );
  }

  async reportCollectors(reports: readonly CollectorReport[]): Promise<void> {
    if (reports.length === 0) return;
    const k = keys.collectorHealth();
    const args = reports.flatMap((r) => [`${r.exchange}@${r.owner}`, JSON.stringify(r)]);
    await this.timed('health', () => this.link.send(k, ['HSET', k, ...args]));
  }

  // ---- reader side ----

  async latestTrades(exchange: Exchange, symbol: string, limit: number): Promise<StoredTrade[]> {
    const k = keys.trades(exchange, symbol);
    const raw = await this.read('read_latest', () =>
      this.link.send<RawEntry[]>(k, ['XREVRANGE', k, '+', '-', 'COUNT', String(limit)], true),
    );
    const out: StoredTrade[] = [];
    for (let i = raw.length - 1; i >= 0; i--) {
      const t = decodeTrade(raw[i]!);
      if (t) out.push(t);
    }
    return out;
  }

  async tradesAfter(
    exchange: Exchange,
    symbol: string,
    afterStreamId: string,
    limit: number,
  ): Promise<StoredTrade[]> {
    const k = keys.trades(exchange, symbol);
    const raw = await this.read('read_after', () =>
      this.link.send<RawEntry[]>(k, ['XRANGE', k, `(${afterStreamId}`, '+', 'COUNT', String(limit)], true),
    );
    return decodeTrades(raw);
  }

  async tradesInRange(
    exchange: Exchange,
    symbol: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<StoredTrade[]> {
    const k = keys.trades(exchange, symbol);
    const raw = await this.read('read_range', () =>
      this.link.evalScript<RawEntry[]>(
        TRADES_IN_RANGE,
        [k],
        [String(startUs), String(endUs), String(limit)],
        true,
      ),
    );
    return decodeTrades(raw);
  }

  async oldestTradeTs(exchange: Exchange, symbol: string): Promise<number | undefined> {
    const k = keys.trades(exchange, symbol);
    const raw = await this.read('read_oldest', () =>
      this.link.send<RawEntry[]>(k, ['XRANGE', k, '-', '+', 'COUNT', '1'], true),
    );
    const t = raw[0] ? decodeTrade(raw[0]) : undefined;
    return t?.ts;
  }

  async candles(exchange: Exchange, symbol: string, fromBucket: number, toBucket: number): Promise<Candle[]> {
    const k = keys.candles(exchange, symbol);
    const minutes = Math.floor((toBucket - fromBucket) / 60) + 1;
    if (minutes <= 0) return [];
    const out: Candle[] = [];
    const size = await this.read('candles', () => this.link.send<number>(k, ['HLEN', k], true));
    if (size === 0) return out;
    if (minutes > size * 4 || minutes > 200_000) {
      // A wide window over a small hash: read the hash once rather than ask for empty minutes.
      const flat = await this.read('candles', () => this.link.send<string[]>(k, ['HGETALL', k], true));
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const bucket = Number(flat[i]);
        if (bucket >= fromBucket && bucket <= toBucket) pushCandle(out, bucket, flat[i + 1]);
      }
      out.sort((a, b) => a.bucket - b.bucket);
      return out;
    }
    const CHUNK = 5000;
    for (let start = 0; start < minutes; start += CHUNK) {
      const fields: string[] = [];
      for (let m = start; m < Math.min(minutes, start + CHUNK); m++) fields.push(String(fromBucket + m * 60));
      const values = await this.read('candles', () =>
        this.link.send<(string | null)[]>(k, ['HMGET', k, ...fields], true),
      );
      for (let j = 0; j < fields.length; j++) pushCandle(out, Number(fields[j]), values[j]);
    }
    return out;
  }

  async symbols(exchange: Exchange): Promise<string[]> {
    const k = keys.symbols(exchange);
    const list = await this.read('symbols', () => this.link.send<string[]>(k, ['SMEMBERS', k], true));
    return list.sort();
  }

  async allStats(exchanges: readonly Exchange[]): Promise<MarketStats[]> {
    const out: MarketStats[] = [];
    for (const ex of exchanges) {
      const syms = await this.symbols(ex);
      const all = await this.read('stats', () =>
        Promise.all(
          syms.map((s) => this.link.send<string[]>(keys.stats(ex, s), ['HGETALL', keys.stats(ex, s)], true)),
        ),
      );
      syms.forEach((s, i) => {
        const st = parseStats(ex, s, all[i]!);
        if (st) out.push(st);
      });
    }
    return out;
  }

  async bookTop(exchange: Exchange, symbol: string): Promise<BookTop | undefined> {
    const k = keys.bookTop(exchange, symbol);
    const raw = await this.read('book_top', () => this.link.send<string | null>(k, ['GET', k], true));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as BookTop;
    } catch {
      return undefined;
    }
  }

  async collectorReports(): Promise<CollectorReport[]> {
    const k = keys.collectorHealth();
    const flat = await this.read('health', () => this.link.send<string[]>(k, ['HGETALL', k], true));
    const out: CollectorReport[] = [];
    for (let i = 1; i < flat.length; i += 2) {
      try {
        out.push(JSON.parse(flat[i]!) as CollectorReport);
      } catch {
        // A damaged field is ignored.
      }
    }
    return out;
  }

  async signals(symbol: string, limit: number) {
    const k = keys.signals(symbol);
    const raw = await this.read('signals', () =>
      this.link.send<RawEntry[]>(k, ['XREVRANGE', k, '+', '-', 'COUNT', String(limit)], true),
    );
    return raw.reverse().map(([id, f]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < f.length; i += 2) fields[f[i]!] = f[i + 1]!;
      return { id, fields };
    });
  }

  async gaps(exchange: Exchange, symbol: string) {
    const k = keys.gaps(exchange, symbol);
    const raw = await this.read('gaps', () => this.link.send<RawEntry[]>(k, ['XRANGE', k, '-', '+'], true));
    return raw.map(([, f]) => {
      const m: Record<string, string> = {};
      for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!;
      return {
        fromTradeId: Number(m.from_trade_id),
        toTradeId: Number(m.to_trade_id),
        reason: m.reason ?? '',
      };
    });
  }

  async readStreams(cursors: readonly StreamCursor[], count: number, blockMs: number): Promise<StreamItem[]> {
    if (cursors.length === 0) return [];
    if (!this.link.ready) throw new StoreUnavailableError('redis is not connected');
    const streamKeys = cursors.map((c) =>
      (c.stream === 'trades' ? keys.trades : keys.book)(c.exchange, c.symbol),
    );
    const ids = cursors.map((c) => c.afterId);
    let reply: XReadReply;
    try {
      if (this.link.isCluster) {
        // One XREAD per market (slot); see stream-reader.ts.
        this.clusterReader ??= new ClusterStreamReader(this.link);
        reply = await this.clusterReader.read(streamKeys, ids, count, blockMs);
      } else {
        reply = await this.readBlocking(streamKeys, ids, count, blockMs);
      }
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(`redis stream read failed: ${(e as Error)?.message ?? e}`);
    }
    const index = new Map(streamKeys.map((k, i) => [k, i]));
    const out: StreamItem[] = [];
    for (const [key, entries] of reply ?? []) {
      const c = cursors[index.get(key) ?? -1];
      if (!c) continue;
      for (const e of entries) {
        if (c.stream === 'trades') {
          const t = decodeTrade(e);
          if (t) out.push({ stream: 'trades', exchange: c.exchange, symbol: c.symbol, entry: t });
        } else {
          const b = decodeBook(e);
          if (b) out.push({ stream: 'book', exchange: c.exchange, symbol: c.symbol, entry: b });
        }
      }
    }
    return out;
  }

  /** One server: a single XREAD over every stream, on a dedicated (pooled) connection. */
  private async readBlocking(
    streamKeys: readonly string[],
    ids: readonly string[],
    count: number,
    blockMs: number,
  ): Promise<XReadReply> {
    const conn = await this.link.acquireBlocking(undefined);
    // BLOCK 0 would wait forever: without a wait, do not block at all.
    const block = blockMs > 0 ? ['BLOCK', String(blockMs)] : [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        conn.client.sendCommand<XReadReply>([
          'XREAD',
          'COUNT',
          String(count),
          ...block,
          'STREAMS',
          ...streamKeys,
          ...ids,
        ]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreUnavailableError('redis stream read timed out')),
            Math.max(blockMs, 0) + 5000,
          );
        }),
      ]);
      this.link.releaseBlocking(conn, true);
      return reply;
    } catch (e) {
      this.link.releaseBlocking(conn, false);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async lastStreamId(stream: 'trades' | 'book', exchange: Exchange, symbol: string): Promise<string> {
    const k = (stream === 'trades' ? keys.trades : keys.book)(exchange, symbol);
    const raw = await this.read('read_latest', () =>
      this.link.send<RawEntry[]>(k, ['XREVRANGE', k, '+', '-', 'COUNT', '1'], true),
    );
    return raw[0]?.[0] ?? '0-0';
  }
}

function pushCandle(out: Candle[], bucket: number, json: string | null | undefined): void {
  if (!json) return;
  try {
    const c = JSON.parse(json) as { o: string; h: string; l: string; c: string; v: string; n: number };
    out.push({ bucket, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v, n: c.n });
  } catch {
    // A foreign or damaged field is skipped rather than failing the whole answer.
  }
}

function parseStats(exchange: Exchange, symbol: string, flat: string[]): MarketStats | undefined {
  if (!flat || flat.length === 0 || !isExchange(exchange)) return undefined;
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) m[flat[i]!] = flat[i + 1]!;
  if (m.last_trade_id === undefined) return undefined;
  return {
    exchange,
    symbol,
    count: Number(m.count ?? 0),
    firstTs: Number(m.first_ts ?? 0),
    lastTs: Number(m.last_ts ?? 0),
    lastTradeId: Number(m.last_trade_id),
    ...(m.candles_from !== undefined ? { candlesFrom: Number(m.candles_from) } : {}),
  };
}
