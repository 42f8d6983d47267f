/**
 * Simulator throughput check: offers `--rate` trades/s per exchange (Coinbase and Kraken,
 * one symbol each) to plain ws clients in a worker thread and reports the trades/s they
 * received. Run from the build: `node dist/sim/throughput.js [--rate 50000] [--duration 10]`.
 * The clients count trades by scanning the frame text (`--parse` JSON-parses every frame
 * too), so the number measures the simulator, not a client's parser.
 */

import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { startSimulators } from './index.js';

interface ClientConfig {
  coinbase: string;
  kraken: string;
  parse: boolean;
}

interface ClientReport {
  exchange: 'coinbase' | 'kraken';
  trades: number;
  frames: number;
  firstAt: number;
  lastAt: number;
  /** Trades received per wall-clock second, in order. */
  perSecond: number[];
}

/** Milliseconds on a clock shared by the main thread and the worker (each has its own performance.now origin). */
function clock(): number {
  return performance.timeOrigin + performance.now();
}

function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Worker side: one plain client per exchange, counting trades until told to stop. */
function runClients(config: ClientConfig): void {
  const reports: ClientReport[] = [];
  const open = (exchange: 'coinbase' | 'kraken', url: string, subscribe: string) => {
    const r: ClientReport = { exchange, trades: 0, frames: 0, firstAt: 0, lastAt: 0, perSecond: [] };
    reports.push(r);
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 << 20 });
    ws.on('open', () => ws.send(subscribe));
    ws.on('message', (data) => {
      const text = data.toString();
      r.frames++;
      if (config.parse) JSON.parse(text);
      const n =
        exchange === 'coinbase'
          ? text.startsWith('{"type":"match"')
            ? 1
            : 0
          : text.startsWith('{"channel":"trade","type":"update"')
            ? countOccurrences(text, '"trade_id"')
            : 0;
      if (n === 0) return;
      const now = clock();
      if (r.firstAt === 0) r.firstAt = now;
      r.lastAt = now;
      r.trades += n;
      const second = Math.floor((now - r.firstAt) / 1000);
      r.perSecond[second] = (r.perSecond[second] ?? 0) + n;
    });
  };
  open(
    'coinbase',
    config.coinbase,
    JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] }),
  );
  open(
    'kraken',
    config.kraken,
    JSON.stringify({
      method: 'subscribe',
      params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: false },
    }),
  );
  parentPort!.on('message', () => {
    // Generation has stopped: report once nothing has arrived for 300 ms (or after 30 s).
    const deadline = clock() + 30_000;
    const check = () => {
      const quietSince = Math.max(0, ...reports.map((r) => r.lastAt));
      const now = clock();
      if (now - quietSince > 300 || now > deadline) {
        parentPort!.postMessage(reports);
        process.exit(0);
      } else setTimeout(check, 20);
    };
    check();
  });
  const subscribed = setInterval(() => {
    if (reports.every((r) => r.frames > 0)) {
      clearInterval(subscribed);
      parentPort!.postMessage('ready');
    }
  }, 5);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '50000' },
      duration: { type: 'string', default: '10' },
      parse: { type: 'boolean', default: false },
    },
  });
  const rate = Number(values.rate);
  const durationS = Number(values.duration);
  const live = await startSimulators({
    exchanges: ['coinbase', 'kraken'],
    symbols: ['BTC-USD'],
    ratePerSymbol: rate,
    durationS,
    seed: 1,
    ports: { coinbase: 0, kraken: 0 },
  });
  const worker = new Worker(new URL(import.meta.url), {
    workerData: {
      coinbase: live.urls.coinbase!.ws,
      kraken: live.urls.kraken!.ws,
      parse: values.parse,
    } satisfies ClientConfig,
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  await live.done;
  const stoppedAt = clock();
  const truth = live.truth();
  const made = { coinbase: truth.coinbase!['BTC-USD']!.count, kraken: truth.kraken!['BTC-USD']!.count };
  worker.postMessage('stopped');
  const reports = await new Promise<ClientReport[]>((resolve) => worker.once('message', resolve));
  let total = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const r of reports) {
    total += r.trades;
    first = Math.min(first, r.firstAt);
    last = Math.max(last, r.lastAt);
  }
  const seconds = (last - first) / 1000;
  const lines = [
    `offered: ${rate} trades/s per exchange x 2 exchanges = ${2 * rate} trades/s for ${durationS} s`,
    `made: coinbase ${made.coinbase}, kraken ${made.kraken}`,
    ...reports.map(
      (r) =>
        `${r.exchange}: received ${r.trades} trades in ${r.frames} frames, ${Math.round(r.trades / ((r.lastAt - r.firstAt) / 1000))} trades/s; per second: ${r.perSecond.join(' ')}`,
    ),
    `total: ${total} trades in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} trades/s received`,
    `last trade arrived ${Math.max(0, (last - stoppedAt) / 1000).toFixed(2)} s after generation stopped`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await live.close();
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
} else runClients(workerData as ClientConfig);
