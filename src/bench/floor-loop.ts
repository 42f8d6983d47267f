/**
 * The floor (`npm run bench:floor`): the least a collector can do on this machine, run in
 * the collector's place by the benchmark harness. One WebSocket per exchange, `JSON.parse`
 * per frame, one auto-pipelined XADD per trade with the contract's fields. No sequencing,
 * dedupe, gap detection, candles, stats, metrics or flow control: what the real collector
 * costs above this is what those cost. Speaks to the harness like `alphapulse collect`:
 * /health on METRICS_PORT, latencies to ALPHAPULSE_LATENCY_FILE on SIGTERM.
 */

import { createServer } from 'node:http';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { nowUs, parseIsoToUs } from '../core/time.js';
import type { Exchange, Trade } from '../core/types.js';
import { tradeFields } from '../store/codec.js';
import { keys } from '../store/keys.js';
import { LatencyRecorder } from './latency-recorder.js';

interface CoinbaseMatch {
  type?: string;
  trade_id?: number;
  price?: string;
  size?: string;
  side?: 'buy' | 'sell';
  time?: string;
}

interface KrakenFrame {
  channel?: string;
  data?: { trade_id: number; price: number; qty: number; side: 'buy' | 'sell'; timestamp: string }[];
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`floor-loop: ${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const symbol = env('SYMBOLS').split(',')[0]!;
  const exchanges = env('EXCHANGES').split(',') as Exchange[];
  const recorder = new LatencyRecorder();
  const redis = createClient({ url: env('REDIS_URL') });
  redis.on('error', () => {});
  await redis.connect();
  const maxlen = process.env.STREAM_MAXLEN ?? '1000000';

  const write = (exchange: Exchange, t: Omit<Trade, 'exchange' | 'symbol'>) => {
    const trade: Trade = { exchange, symbol, ...t };
    void redis
      .sendCommand([
        'XADD',
        keys.trades(exchange, symbol),
        'MAXLEN',
        '~',
        maxlen,
        '*',
        ...tradeFields(exchange, symbol, t),
      ])
      .then(() => recorder.record([trade], nowUs()));
  };

  const sockets: WebSocket[] = [];
  if (exchanges.includes('coinbase')) {
    const ws = new WebSocket(env('COINBASE_WS_URL'), { perMessageDeflate: false });
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'subscribe', product_ids: [symbol], channels: ['matches'] })),
    );
    ws.on('message', (data: Buffer) => {
      const recvTs = nowUs();
      const m = JSON.parse(data.toString()) as CoinbaseMatch;
      if ((m.type !== 'match' && m.type !== 'last_match') || !m.time) return;
      const ts = parseIsoToUs(m.time);
      if (ts === undefined) return;
      write('coinbase', { id: m.trade_id!, price: m.price!, size: m.size!, side: m.side!, ts, recvTs });
    });
    sockets.push(ws);
  }
  if (exchanges.includes('kraken')) {
    const ws = new WebSocket(env('KRAKEN_WS_URL'), { perMessageDeflate: false });
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          method: 'subscribe',
          params: { channel: 'trade', symbol: [symbol.replace('-', '/')] },
        }),
      ),
    );
    ws.on('message', (data: Buffer) => {
      const recvTs = nowUs();
      const m = JSON.parse(data.toString()) as KrakenFrame;
      if (m.channel !== 'trade' || !m.data) return;
      for (const t of m.data) {
        const ts = parseIsoToUs(t.timestamp);
        if (ts === undefined) continue;
        // Numbers, as JSON.parse gives them: exact text is not kept (the floor skips that work too).
        write('kraken', {
          id: t.trade_id,
          price: String(t.price),
          size: String(t.qty),
          side: t.side,
          ts,
          recvTs,
        });
      }
    });
    sockets.push(ws);
  }

  const health = createServer((_req, res) => res.end('ok')).listen(Number(env('METRICS_PORT')), '127.0.0.1');
  process.once('SIGTERM', () => {
    for (const ws of sockets) ws.terminate();
    health.close();
    const file = process.env.ALPHAPULSE_LATENCY_FILE;
    // Writes in flight are let finish: their acks are latencies like the others.
    setTimeout(() => {
      if (file) recorder.writeTo(file);
      process.exit(0);
    }, 200);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`floor-loop: ${(e as Error).message}\n`);
  process.exit(1);
});
