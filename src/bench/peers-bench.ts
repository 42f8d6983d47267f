/**
 * `npm run bench:peers`: our Coinbase and Kraken trade parse + normalise against the same
 * messages through tardis-dev's exchange mappers and ccxt's (pro) trade handling, in one
 * process and one run; then ccxt pro's `watchTrades` end to end against the local
 * simulator next to a plain WebSocket client running our parser. Writes
 * bench/results/peers.json and regenerates bench/RESULTS.md.
 *
 * Message shapes come from the engineers' fixtures (read in place, never copied): a real
 * Coinbase `match`, the Kraken v2 `trade` example and a real Kraken v1 `trade` array; N
 * variants (ids, prices, sizes, sides, times) are generated in memory.
 *
 *   npm run bench:peers [-- --messages 20000 --rounds 5 --round-ms 1000 --e2e-rates 10000,100000
 *                          --e2e-duration 10 --fixtures ../shared/fixtures --no-e2e]
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ccxt from 'ccxt';
import { normalizeTrades } from 'tardis-dev';
import { WebSocket } from 'ws';
import type { Trade } from '../core/types.js';
import type { FrameSink } from '../exchanges/adapter.js';
import { createCoinbaseAdapter } from '../exchanges/coinbase/adapter.js';
import { createCoinbaseParser } from '../exchanges/coinbase/parse.js';
import { createKrakenAdapter } from '../exchanges/kraken/adapter.js';
import { createKrakenParser } from '../exchanges/kraken/parse.js';
import { uniform } from '../sim/prng.js';
import {
  commandLine,
  failed,
  freePort,
  machineInfo,
  median,
  nowIso,
  numberFlag,
  OUT_DIR,
  ROOT,
  round,
  scriptFlags,
  writeResult,
} from './common.js';
import { writeReport } from './report.js';

// ---------------------------------------------------------------- messages

const prng = uniform;

function firstLine(file: string, test: (o: unknown) => boolean): { text: string; file: string } {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    if (test(JSON.parse(line))) return { text: line, file };
  }
  throw new Error(`no matching message in ${file}`);
}

interface GeneratedTrade {
  id: number;
  price: string;
  size: string;
  /** Taker side. */
  side: 'buy' | 'sell';
  /** ISO time with µs. */
  iso: string;
  epochS: string;
}

function generateTrades(n: number, seed: number): GeneratedTrade[] {
  const r = prng(seed);
  const out: GeneratedTrade[] = [];
  let cents = 4_300_000; // 43,000.00 USD
  let us = Date.UTC(2026, 10, 26, 12, 0, 0) * 1000;
  for (let i = 0; i < n; i++) {
    cents += Math.round((r() - 0.5) * 20);
    us += 1 + Math.floor(r() * 900);
    const size = (0.0001 + r() * 0.5).toFixed(8).replace(/0+$/, '').replace(/\.$/, '');
    const iso = `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 20)}${String(us % 1_000_000).padStart(6, '0')}Z`;
    out.push({
      id: 500_000_000 + i,
      price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      size,
      side: r() < 0.5 ? 'buy' : 'sell',
      iso,
      epochS: `${Math.floor(us / 1e6)}.${String(us % 1_000_000).padStart(6, '0')}`,
    });
  }
  return out;
}

function uuid(r: () => number): string {
  const h = () =>
    Math.floor(r() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${h()}${h()}-${h()}-${h()}-${h()}-${h()}${h()}${h()}`;
}

interface MessageSets {
  coinbase: string[];
  krakenV2: string[];
  krakenV1: string[];
  trades: GeneratedTrade[];
  sources: { coinbase: string; krakenV2: string; krakenV1: string };
}

function buildMessages(fixtures: string, n: number): MessageSets {
  const cbT = firstLine(
    join(fixtures, 'coinbase/exchange_ws_2021-04-17_level2_ticker_matches_cryptofeed.jsonl'),
    (o) => (o as { type?: string }).type === 'match',
  );
  const krT = firstLine(
    join(fixtures, 'kraken/v2_docs_examples.jsonl'),
    (o) => (o as { channel?: string }).channel === 'trade',
  );
  const k1T = firstLine(
    join(fixtures, 'kraken/v1_trade_2021-04-17_cryptofeed.jsonl'),
    (o) => Array.isArray(o) && o[o.length - 2] === 'trade',
  );
  const trades = generateTrades(n, 7);
  const r = prng(11);
  // Coinbase: the recorded `match` with its keys in recorded order, fields replaced.
  const cb = JSON.parse(cbT.text) as Record<string, unknown>;
  const coinbase = trades.map((t, i) =>
    JSON.stringify({
      ...cb,
      trade_id: t.id,
      maker_order_id: uuid(r),
      taker_order_id: uuid(r),
      // Coinbase sends the maker's side.
      side: t.side === 'buy' ? 'sell' : 'buy',
      size: t.size,
      price: t.price,
      product_id: 'BTC-USD',
      sequence: 90_000_000_000 + i * 3,
      time: t.iso,
    }),
  );
  // Kraken v2: the docs' trade message as a live update (one trade a frame, numbers as
  // JSON numbers, as Kraken sends them).
  const kr = JSON.parse(krT.text) as { data: Record<string, unknown>[] };
  const entry = kr.data[0]!;
  const krakenV2 = trades.map(
    (t) =>
      `{"channel":"trade","type":"update","data":[${JSON.stringify({
        ...entry,
        symbol: 'BTC/USD',
        side: t.side,
        price: 0,
        qty: 0,
        ord_type: r() < 0.7 ? 'market' : 'limit',
        trade_id: t.id % 100_000_000,
        timestamp: t.iso,
      })
        .replace('"price":0', `"price":${t.price}`)
        .replace('"qty":0', `"qty":${t.size}`)}]}`,
  );
  // Kraken v1 (tardis-dev has no v2 mapper): the same trades as v1 arrays.
  const v1 = JSON.parse(k1T.text) as unknown[];
  const channelId = v1[0];
  const krakenV1 = trades.map((t) =>
    JSON.stringify([
      channelId,
      [[t.price, t.size, t.epochS, t.side === 'buy' ? 'b' : 's', r() < 0.7 ? 'm' : 'l', '']],
      'trade',
      'XBT/USD',
    ]),
  );
  return {
    coinbase,
    krakenV2,
    krakenV1,
    trades,
    sources: { coinbase: cbT.file, krakenV2: krT.file, krakenV1: k1T.file },
  };
}

// ---------------------------------------------------------------- parsers under test

function countingSink(): FrameSink & { count: number; last: Trade | undefined } {
  const s = {
    count: 0,
    last: undefined as Trade | undefined,
    trades(t: Trade[]) {
      s.count += t.length;
      s.last = t[t.length - 1];
    },
    book() {},
    bookBroken() {},
    heartbeat() {},
    subscribed() {},
    exchangeError() {},
    message() {},
    unknown() {},
    malformed(kind: string, detail: string) {
      throw new Error(`our parser rejected a generated message: ${kind} ${detail}`);
    },
  };
  return s;
}

/** What ccxt pro's exchange classes expose that we drive by hand (not in its public typings). */
interface CcxtWs {
  handleMessage(client: unknown, message: unknown): void;
  setMarkets(markets: unknown[]): unknown;
  trades: Record<string, { length: number; [i: number]: Record<string, unknown> }>;
  urls: { api: { ws: unknown } };
  loadHttpProxyAgent(): Promise<unknown>;
  watchTrades(symbol: string): Promise<unknown[]>;
  close(): Promise<void>;
}

function ccxtMarket(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    symbol: 'BTC/USD',
    base: 'BTC',
    quote: 'USD',
    baseId: 'BTC',
    quoteId: 'USD',
    type: 'spot',
    spot: true,
    active: true,
    precision: { price: 0.01, amount: 1e-8 },
    limits: {},
    ...extra,
  };
}

function ccxtExchange(name: 'coinbaseexchange' | 'kraken'): CcxtWs {
  const Cls = (ccxt as unknown as { pro: Record<string, new (o: unknown) => CcxtWs> }).pro[name]!;
  // ccxt's defaults (tradesLimit 1000): watchTrades copies its cache on every call, so a
  // bigger cache only makes it slower.
  const ex = new Cls({});
  ex.setMarkets([
    name === 'kraken'
      ? ccxtMarket('XXBTZUSD', { wsId: 'XBT/USD', altname: 'XBTUSD' })
      : ccxtMarket('BTC-USD'),
  ]);
  return ex;
}

interface Path {
  exchange: 'coinbase' | 'kraken';
  name: string;
  library: string;
  input: string;
  /** Processes every message once; returns the number of trades it produced. */
  run(): number;
  /** The first message's trade as this path normalised it, for the agreement check. */
  sample(): { id: string; price: number; size: number; side: string; ts_ms: number };
}

function paths(m: MessageSets): Path[] {
  const recv = Date.now() * 1000;
  const ours = (exchange: 'coinbase' | 'kraken', msgs: string[]): Path => {
    const parse =
      exchange === 'coinbase' ? createCoinbaseParser(['BTC-USD']) : createKrakenParser(['BTC-USD']);
    const sink = countingSink();
    return {
      exchange,
      name: 'ours',
      library: 'alphapulse',
      input: exchange === 'coinbase' ? 'Exchange `match`' : 'v2 `trade` update',
      run() {
        const before = sink.count;
        for (let i = 0; i < msgs.length; i++) parse(msgs[i]!, recv, sink);
        return sink.count - before;
      },
      sample() {
        parse(msgs[0]!, recv, sink);
        const t = sink.last!;
        return {
          id: String(t.id),
          price: Number(t.price),
          size: Number(t.size),
          side: t.side,
          ts_ms: Math.floor(t.ts / 1000),
        };
      },
    };
  };
  const tardis = (exchange: 'coinbase' | 'kraken', msgs: string[]): Path => {
    const mapper = normalizeTrades(exchange, new Date());
    const one = (text: string) => {
      const msg = JSON.parse(text);
      const out = [];
      // A realtime tardis-dev feed stamps every message with a local Date.
      const mapped = mapper.canHandle(msg) ? mapper.map(msg, new Date()) : undefined;
      if (mapped) for (const t of mapped) out.push(t);
      return out;
    };
    return {
      exchange,
      name: 'tardis-dev',
      library: 'tardis-dev normalizeTrades',
      input: exchange === 'coinbase' ? 'Exchange `match`' : 'v1 `trade` array (no v2 mapper)',
      run() {
        let n = 0;
        for (let i = 0; i < msgs.length; i++) n += one(msgs[i]!).length;
        return n;
      },
      sample() {
        const t = one(msgs[0]!)[0]!;
        return {
          id: String(t.id ?? m.trades[0]!.id),
          price: t.price,
          size: t.amount,
          side: t.side,
          ts_ms: t.timestamp.valueOf(),
        };
      },
    };
  };
  const ccxtPath = (exchange: 'coinbase' | 'kraken', msgs: string[]): Path => {
    const ex = ccxtExchange(exchange === 'coinbase' ? 'coinbaseexchange' : 'kraken');
    const client = {
      url: exchange === 'coinbase' ? 'wss://ws-feed.exchange.coinbase.com' : 'wss://ws.kraken.com/v2',
      resolve() {},
      reject() {},
    };
    const cache = () => ex.trades['BTC/USD'];
    return {
      exchange,
      name: 'ccxt',
      library: `ccxt.pro.${exchange === 'coinbase' ? 'coinbaseexchange' : 'kraken'} handleMessage`,
      input: exchange === 'coinbase' ? 'Exchange `match`' : 'v2 `trade` update',
      run() {
        for (let i = 0; i < msgs.length; i++) ex.handleMessage(client, JSON.parse(msgs[i]!));
        return msgs.length;
      },
      sample() {
        ex.handleMessage(client, JSON.parse(msgs[0]!));
        const c = cache()!;
        const t = c[c.length - 1]!;
        return {
          id: String(t.id),
          price: t.price as number,
          size: t.amount as number,
          side: t.side as string,
          ts_ms: t.timestamp as number,
        };
      },
    };
  };
  return [
    ours('coinbase', m.coinbase),
    tardis('coinbase', m.coinbase),
    ccxtPath('coinbase', m.coinbase),
    ours('kraken', m.krakenV2),
    tardis('kraken', m.krakenV1),
    ccxtPath('kraken', m.krakenV2),
  ];
}

export interface ParseRow {
  exchange: 'coinbase' | 'kraken';
  name: string;
  library: string;
  input: string;
  messages_per_s: number;
  rounds: number[];
  /** ours / this (1 for ours). */
  ratio_ours_over_this: number;
  /** Agrees with the generated trade on id, price, size, taker side and ms time. */
  agrees: boolean;
  disagreement: string;
}

function measureParse(m: MessageSets, rounds: number, roundMs: number): ParseRow[] {
  const ps = paths(m);
  const samples = ps.map((p) => p.sample());
  const rates: number[][] = ps.map(() => []);
  // Warm every path first, then interleave the rounds so drifting machine load hits all alike.
  for (const p of ps) for (let i = 0; i < 3; i++) p.run();
  for (let r = 0; r < rounds; r++) {
    ps.forEach((p, i) => {
      let msgs = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < roundMs) {
        p.run();
        msgs += m.coinbase.length;
        t = performance.now();
      }
      rates[i]!.push(msgs / ((t - t0) / 1000));
    });
  }
  const want = m.trades[0]!;
  const rows = ps.map((p, i): ParseRow => {
    const s = samples[i]!;
    const diffs: string[] = [];
    if (p.name !== 'tardis-dev' || p.exchange === 'coinbase') {
      // tardis-dev's Kraken v1 mapper has no trade id (v1 sends none).
      const wantId = p.exchange === 'kraken' ? String(want.id % 100_000_000) : String(want.id);
      if (s.id !== wantId) diffs.push(`id ${s.id} != ${wantId}`);
    }
    if (s.price !== Number(want.price)) diffs.push(`price ${s.price}`);
    if (s.size !== Number(want.size)) diffs.push(`size ${s.size}`);
    if (s.side !== want.side) diffs.push(`side ${s.side} (taker is ${want.side})`);
    const wantMs = Math.floor(Number(want.epochS) * 1000);
    if (Math.abs(s.ts_ms - wantMs) > 1) diffs.push(`time ${s.ts_ms} != ${wantMs}`);
    return {
      exchange: p.exchange,
      name: p.name,
      library: p.library,
      input: p.input,
      messages_per_s: Math.round(median(rates[i]!)),
      rounds: rates[i]!.map((x) => Math.round(x)),
      ratio_ours_over_this: 1,
      agrees: diffs.length === 0,
      disagreement: diffs.join('; '),
    };
  });
  for (const r of rows) {
    const ours = rows.find((x) => x.exchange === r.exchange && x.name === 'ours')!;
    r.ratio_ours_over_this = round(ours.messages_per_s / r.messages_per_s, 2);
  }
  return rows;
}

// ---------------------------------------------------------------- end to end

const CLI = resolve(ROOT, 'dist/cli.js');

interface SimHandle {
  child: ChildProcess;
  truthFile: string;
  url: string;
  truth: () => number;
}

async function startSim(exchange: 'coinbase' | 'kraken', rate: number, seconds: number): Promise<SimHandle> {
  const port = await freePort();
  mkdirSync(OUT_DIR, { recursive: true });
  const truthFile = join(OUT_DIR, `peers-truth-${process.pid}-${port}.json`);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'simulate',
      '--exchanges',
      exchange,
      '--symbols',
      'BTC-USD',
      '--rate',
      String(rate),
      '--duration',
      String(seconds),
      '--book-rate',
      '0',
      `--${exchange}-port`,
      String(port),
      '--truth-file',
      truthFile,
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, WS_NO_BUFFER_UTIL: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((res, rej) => {
    let buf = '';
    const t = setTimeout(() => rej(new Error(`simulator did not start: ${buf}`)), 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('export COINBASE_WS_URL') || buf.includes('export KRAKEN_WS_URL')) {
        clearTimeout(t);
        res();
      }
    });
  });
  return {
    child,
    truthFile,
    url: exchange === 'coinbase' ? `ws://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/v2`,
    truth: () => {
      if (!existsSync(truthFile)) return -1;
      const t = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<
        string,
        Record<string, { count: number }>
      >;
      return t[exchange]?.['BTC-USD']?.count ?? -1;
    },
  };
}

export interface E2eRow {
  exchange: 'coinbase' | 'kraken';
  client: string;
  offered_rate: number;
  /** Trades received per second over the load window (after warm-up). */
  received_rate: number;
  /** Seconds after the simulator stopped making trades until the client had them all (-1: never within 15 s). */
  catch_up_s: number;
  /** CPU of this process (client + parsing) while receiving, % of one core. */
  client_cpu_pct: number;
  /** Trades parsed by the library but never returned by watchTrades (its cache overflowed between calls). */
  dropped_by_cache?: number;
  error?: string;
}

interface Client {
  /** Trades received so far (for ccxt: returned by watchTrades). */
  count(): number;
  /** Trades the library parsed (ccxt: may exceed count when its cache overflowed between calls). */
  parsed?(): number;
  close(): Promise<void>;
}

async function ourClient(exchange: 'coinbase' | 'kraken', url: string): Promise<Client> {
  const adapter =
    exchange === 'coinbase' ? createCoinbaseAdapter(['BTC-USD']) : createKrakenAdapter(['BTC-USD']);
  const sink = countingSink();
  sink.malformed = () => {};
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  ws.on('message', (data: Buffer) => adapter.parseFrame(data.toString(), Date.now() * 1000, sink));
  for (const msg of adapter.subscribeMessages(['BTC-USD'], { bookDepth: 0 })) ws.send(msg);
  return {
    count: () => sink.count,
    close: async () => {
      ws.terminate();
    },
  };
}

async function ccxtClient(exchange: 'coinbase' | 'kraken', url: string): Promise<Client> {
  const ex = ccxtExchange(exchange === 'coinbase' ? 'coinbaseexchange' : 'kraken');
  // ccxt refuses ws:// URLs until its plain-HTTP agent is loaded.
  await ex.loadHttpProxyAgent();
  if (exchange === 'coinbase') ex.urls.api.ws = url;
  else (ex.urls.api.ws as Record<string, string>).publicV2 = url;
  let n = 0;
  let parsed = 0;
  let stop = false;
  let failure: Error | undefined;
  // Count what ccxt parsed too, to see whether its cache dropped trades between two calls.
  const hooked = ex as unknown as Record<
    string,
    (client: unknown, message: Record<string, unknown>) => unknown
  >;
  const name = exchange === 'coinbase' ? 'handleTrade' : 'handleTrades';
  const original = hooked[name]!;
  hooked[name] = function (this: unknown, client, message) {
    parsed += exchange === 'coinbase' ? 1 : ((message.data as unknown[] | undefined)?.length ?? 0);
    return original.call(this, client, message);
  };
  const loop = (async () => {
    while (!stop) {
      try {
        n += (await ex.watchTrades('BTC/USD')).length;
      } catch (e) {
        if (!stop) failure = e as Error;
        return;
      }
    }
  })();
  return {
    count: () => {
      if (failure) throw failure;
      return n;
    },
    parsed: () => parsed,
    close: async () => {
      stop = true;
      await ex.close().catch(() => undefined);
      await Promise.race([loop, new Promise((r) => setTimeout(r, 1000))]);
    },
  };
}

async function measureE2e(
  exchange: 'coinbase' | 'kraken',
  clientName: 'ours' | 'ccxt',
  rate: number,
  durationS: number,
  warmupS: number,
): Promise<E2eRow> {
  const row: E2eRow = {
    exchange,
    client:
      clientName === 'ours'
        ? 'ours: ws + our parser (no store)'
        : `ccxt pro ${exchange === 'coinbase' ? 'coinbaseexchange' : 'kraken'} watchTrades`,
    offered_rate: rate,
    received_rate: 0,
    catch_up_s: -1,
    client_cpu_pct: 0,
  };
  const sim = await startSim(exchange, rate, warmupS + durationS);
  const startMs = Date.now();
  let client: Client | undefined;
  try {
    client = await (clientName === 'ours' ? ourClient(exchange, sim.url) : ccxtClient(exchange, sim.url));
    await new Promise((r) => setTimeout(r, startMs + warmupS * 1000 - Date.now()));
    const n0 = client.count();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (sim.truth() < 0) {
      await new Promise((r) => setTimeout(r, 100));
      if (performance.now() - t0 > (durationS + 30) * 1000) throw new Error('simulator did not finish');
    }
    const t1 = performance.now();
    const n1 = client.count();
    const cpu = process.cpuUsage(cpu0);
    row.received_rate = Math.round((n1 - n0) / ((t1 - t0) / 1000));
    row.client_cpu_pct = round(((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 100, 1);
    // Catch-up: the client has every trade made since it subscribed once its count stops
    // growing; a client that lags keeps receiving after the simulator stopped.
    let last = client.count();
    let lastChange = performance.now();
    while (performance.now() - t1 < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
      const c = client.count();
      if (c !== last) {
        last = c;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 1000) break;
    }
    row.catch_up_s = performance.now() - t1 >= 15_000 ? -1 : round((lastChange - t1) / 1000, 2);
    if (client.parsed) row.dropped_by_cache = Math.max(0, client.parsed() - client.count());
  } catch (e) {
    row.error = (e as Error).message.slice(0, 300);
  } finally {
    await client?.close();
    sim.child.kill('SIGTERM');
    rmSync(sim.truthFile, { force: true });
  }
  return row;
}

// ---------------------------------------------------------------- main

export interface PeersFile {
  kind: 'peers';
  generated_at: string;
  command: string;
  machine: ReturnType<typeof machineInfo>;
  versions: { ccxt: string; 'tardis-dev': string };
  settings: {
    messages: number;
    rounds: number;
    round_ms: number;
    e2e_duration_s: number;
    e2e_warmup_s: number;
  };
  fixtures: { coinbase: string; krakenV2: string; krakenV1: string };
  parse: ParseRow[];
  e2e: E2eRow[];
  e2e_skipped?: string;
}

function pkgVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage: [
      'npm run bench:peers [-- --messages 20000 --rounds 5 --round-ms 1000 --e2e-rates 10000,100000',
      '                       --e2e-duration 10 --e2e-warmup 2 --fixtures ../shared/fixtures --no-e2e --quick]',
    ].join('\n'),
    values: ['messages', 'rounds', 'round-ms', 'e2e-duration', 'e2e-warmup', 'e2e-rates', 'fixtures'],
    booleans: ['no-e2e', 'quick'],
  });
  const quick = flags.get('quick') === 'true';
  const n = numberFlag(flags, 'messages', 20_000);
  const rounds = numberFlag(flags, 'rounds', quick ? 2 : 5);
  const roundMs = numberFlag(flags, 'round-ms', quick ? 300 : 1000);
  const e2eDuration = numberFlag(flags, 'e2e-duration', quick ? 3 : 10);
  const e2eWarmup = numberFlag(flags, 'e2e-warmup', 2);
  const e2eRates = (flags.get('e2e-rates') ?? '10000,100000').split(',').map(Number);
  const fixtures = resolve(
    flags.get('fixtures') ?? process.env.ALPHAPULSE_FIXTURES ?? join(ROOT, '../shared/fixtures'),
  );
  if (!existsSync(fixtures)) throw new Error(`fixtures not found at ${fixtures}: pass --fixtures <dir>`);
  const machine = machineInfo();
  process.stderr.write(`bench:peers  ${n} messages per exchange from ${fixtures}\n`);
  const m = buildMessages(fixtures, n);
  const parse = measureParse(m, rounds, roundMs);
  for (const r of parse)
    process.stderr.write(
      `  parse ${r.exchange.padEnd(8)} ${r.name.padEnd(10)} ${r.messages_per_s.toLocaleString().padStart(10)} msg/s  ours/this ${r.ratio_ours_over_this}  ${r.agrees ? 'agrees' : `DISAGREES: ${r.disagreement}`}\n`,
    );
  const e2e: E2eRow[] = [];
  const file: PeersFile = {
    kind: 'peers',
    generated_at: nowIso(),
    command: commandLine('bench:peers'),
    machine,
    versions: { ccxt: pkgVersion('ccxt'), 'tardis-dev': pkgVersion('tardis-dev') },
    settings: {
      messages: n,
      rounds,
      round_ms: roundMs,
      e2e_duration_s: e2eDuration,
      e2e_warmup_s: e2eWarmup,
    },
    fixtures: {
      coinbase: m.sources.coinbase.replace(`${resolve(fixtures, '..')}/`, 'shared/'),
      krakenV2: m.sources.krakenV2.replace(`${resolve(fixtures, '..')}/`, 'shared/'),
      krakenV1: m.sources.krakenV1.replace(`${resolve(fixtures, '..')}/`, 'shared/'),
    },
    parse,
    e2e,
  };
  if (flags.get('no-e2e') === 'true') file.e2e_skipped = 'skipped with --no-e2e';
  else {
    for (const exchange of ['coinbase', 'kraken'] as const) {
      for (const rate of e2eRates) {
        for (const client of ['ours', 'ccxt'] as const) {
          const row = await measureE2e(exchange, client, rate, e2eDuration, e2eWarmup);
          process.stderr.write(
            `  e2e   ${exchange.padEnd(8)} ${client.padEnd(5)} offered ${rate.toLocaleString()}/s  received ${row.received_rate.toLocaleString()}/s  catch-up ${row.catch_up_s < 0 ? 'none in 15 s' : `${row.catch_up_s} s`}  CPU ${row.client_cpu_pct}%${row.dropped_by_cache ? `  dropped by cache ${row.dropped_by_cache}` : ''}${row.error ? `  ERROR ${row.error}` : ''}\n`,
          );
          e2e.push(row);
        }
      }
    }
  }
  writeResult('peers', file);
  writeReport();
  process.stderr.write('bench:peers  wrote bench/results/peers.json, bench/RESULTS.md\n');
  // ccxt keeps timers around; leave explicitly.
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:peers'));
}
