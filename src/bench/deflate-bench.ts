/**
 * `npm run bench:deflate`: messages/s a WebSocket client takes in from a compressed
 * (permessage-deflate) stream: `ws`'s own inflate (one thread-pool job per message) against
 * the in-line path of src/core/ws-deflate.ts that the collector uses, with the plain
 * (uncompressed) stream as the ceiling.
 *
 * The sender is a worker thread writing pre-built frames straight to the socket after a
 * hand-made handshake, so it costs next to nothing and only the receiver is measured. The
 * messages are Coinbase-like `match` messages (~270 bytes), compressed once at zlib's
 * default level with context takeover, as an exchange sends them; every pass replays the
 * same stream on a new connection. Every run checks that the inflated bytes add up to the
 * messages sent. Writes bench/results/deflate.json and regenerates bench/RESULTS.md.
 *
 *   npm run bench:deflate [-- --messages 200000 --passes 3]
 */

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { enableFastDeflate, MessageDeflater } from '../core/ws-deflate.js';
import {
  commandLine,
  failed,
  machineInfo,
  median,
  nowIso,
  numberFlag,
  round,
  scriptFlags,
  writeResult,
} from './common.js';
import { writeReport } from './report.js';

type Mode = 'plain' | 'ws' | 'fast';

export interface DeflateFile {
  generated_at: string;
  command: string;
  machine: ReturnType<typeof machineInfo>;
  settings: { messages: number; passes: number; avg_message_bytes: number; avg_compressed_bytes: number };
  /** Median messages/s of the passes, per receive path. */
  results: { mode: Mode; label: string; msgs_per_s: number; passes: number[] }[];
  /** fast / ws. */
  speedup_vs_ws: number;
}

const LABELS: Record<Mode, string> = {
  plain: 'uncompressed stream (ceiling)',
  ws: 'permessage-deflate, ws inflate (thread pool per message)',
  fast: 'permessage-deflate, in-line inflate (collector)',
};

function messages(n: number): string[] {
  const out: string[] = new Array(n);
  let price = 6_000_000;
  for (let i = 0; i < n; i++) {
    price += ((i * 7919) % 21) - 10;
    out[i] = JSON.stringify({
      type: 'match',
      trade_id: 500_000_000 + i,
      maker_order_id: `ac928c66-ca53-498f-9c13-${String(100_000_000_000 + i * 13).slice(-12)}`,
      taker_order_id: `132fb6ae-456b-4654-b4e0-${String(200_000_000_000 + i * 17).slice(-12)}`,
      side: i % 3 === 0 ? 'sell' : 'buy',
      size: ((i % 997) / 1000 + 0.001).toFixed(8),
      price: (price / 100).toFixed(2),
      product_id: 'BTC-USD',
      sequence: 90_000_000_000 + i,
      time: new Date(1_790_000_000_000 + i).toISOString(),
    });
  }
  return out;
}

function frame(payload: Buffer, rsv1: boolean): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const f = Buffer.allocUnsafe(head + len);
  f[0] = 0x80 | (rsv1 ? 0x40 : 0) | 0x01;
  if (len < 126) f[1] = len;
  else if (len < 65_536) {
    f[1] = 126;
    f.writeUInt16BE(len, 2);
  } else {
    f[1] = 127;
    f.writeBigUInt64BE(BigInt(len), 2);
  }
  payload.copy(f, head);
  return f;
}

/** Worker: serves the pre-built stream to every connection. */
function serve(streams: { plain: Buffer; compressed: Buffer }): void {
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const compressed = /permessage-deflate/.test(String(req.headers['sec-websocket-extensions'] ?? ''));
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        ...(compressed ? ['Sec-WebSocket-Extensions: permessage-deflate'] : []),
        '',
        '',
      ].join('\r\n'),
    );
    const data = compressed ? streams.compressed : streams.plain;
    let at = 0;
    const pump = () => {
      while (at < data.length) {
        const end = Math.min(data.length, at + (1 << 20));
        const more = socket.write(data.subarray(at, end));
        at = end;
        if (!more) return void socket.once('drain', pump);
      }
    };
    socket.on('error', () => socket.destroy());
    pump();
  });
  http.listen(0, '127.0.0.1', () => parentPort?.postMessage((http.address() as AddressInfo).port));
}

function receive(port: number, mode: Mode, n: number, expectBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      perMessageDeflate: mode === 'plain' ? false : { clientNoContextTakeover: false },
      maxPayload: 1 << 20,
    });
    let count = 0;
    let bytes = 0;
    let t0 = 0;
    ws.on('open', () => {
      if (mode === 'fast' && !enableFastDeflate(ws)) reject(new Error('in-line inflate not installed'));
    });
    ws.on('message', (data: Buffer) => {
      if (count === 0) t0 = performance.now();
      count++;
      bytes += data.length;
      if (count === n) {
        const rate = (n - 1) / ((performance.now() - t0) / 1000);
        ws.terminate();
        if (bytes !== expectBytes) reject(new Error(`${mode}: got ${bytes} bytes, expected ${expectBytes}`));
        else resolve(rate);
      }
    });
    ws.on('error', reject);
  });
}

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage: 'npm run bench:deflate [-- --messages 200000 --passes 3]',
    values: ['messages', 'passes'],
  });
  const n = numberFlag(flags, 'messages', 200_000);
  const passes = numberFlag(flags, 'passes', 3);
  const texts = messages(n);
  const deflater = new MessageDeflater(15, false, 6);
  let rawBytes = 0;
  let zBytes = 0;
  const plain: Buffer[] = [];
  const compressed: Buffer[] = [];
  for (const t of texts) {
    const raw = Buffer.from(t);
    const z = deflater.push(raw, true);
    rawBytes += raw.length;
    zBytes += z.length;
    plain.push(frame(raw, false));
    compressed.push(frame(z, true));
  }
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { plain: Buffer.concat(plain), compressed: Buffer.concat(compressed) },
  });
  const port = await new Promise<number>((r) => worker.once('message', r));
  const modes: Mode[] = ['plain', 'ws', 'fast'];
  const runs: Record<Mode, number[]> = { plain: [], ws: [], fast: [] };
  try {
    // Interleaved, so drift on a shared machine hits every path alike.
    for (let p = 0; p < passes; p++) {
      for (const mode of modes) {
        const rate = await receive(port, mode, n, rawBytes);
        runs[mode].push(Math.round(rate));
        process.stderr.write(
          `  pass ${p + 1}  ${mode.padEnd(5)}  ${Math.round(rate).toLocaleString()} msgs/s\n`,
        );
      }
    }
  } finally {
    await worker.terminate();
  }
  const results = modes.map((mode) => ({
    mode,
    label: LABELS[mode],
    msgs_per_s: median(runs[mode]),
    passes: runs[mode],
  }));
  const file: DeflateFile = {
    generated_at: nowIso(),
    command: commandLine('bench:deflate'),
    machine: machineInfo(),
    settings: {
      messages: n,
      passes,
      avg_message_bytes: Math.round(rawBytes / n),
      avg_compressed_bytes: round(zBytes / n, 1),
    },
    results,
    speedup_vs_ws: round(median(runs.fast) / median(runs.ws), 1),
  };
  const path = writeResult('deflate', file);
  for (const r of results)
    process.stdout.write(`${r.label.padEnd(58)} ${r.msgs_per_s.toLocaleString().padStart(10)} msgs/s\n`);
  process.stdout.write(`in-line / ws: ${file.speedup_vs_ws}x\n`);
  writeReport();
  process.stderr.write(`bench:deflate  wrote ${path}, bench/RESULTS.md\n`);
}

if (isMainThread) {
  main().catch(failed('bench:deflate'));
} else {
  const d = workerData as { plain: Uint8Array; compressed: Uint8Array };
  serve({ plain: Buffer.from(d.plain), compressed: Buffer.from(d.compressed) });
}
