/**
 * The in-line permessage-deflate path (src/core/ws-deflate.ts): byte-exact against Node's
 * zlib, context takeover and its absence, window sizes, a peer that ends its DEFLATE
 * stream, corrupt data, decompression bombs, and real `ws` peers on loopback in both
 * directions with the parameters they negotiate.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { type ServerOptions, WebSocketServer } from 'ws';
import {
  enableFastDeflate,
  isDeflateNegotiated,
  MessageDeflater,
  MessageInflater,
} from '../../src/core/ws-deflate.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
// The streams end on a sync flush, not a final block: inflate what is there.
const SYNC = { finishFlush: constants.Z_SYNC_FLUSH };

function sampleMessages(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: 'match',
      trade_id: 1000 + i,
      side: i % 2 ? 'buy' : 'sell',
      price: (60_000 + ((i * 37) % 500) / 100).toFixed(2),
      size: ((i % 97) / 1000 + 0.001).toFixed(8),
      product_id: 'BTC-USD',
      time: new Date(1_790_000_000_000 + i * 13).toISOString(),
      // Some messages large enough to need several output chunks.
      ...(i % 50 === 0 ? { padding: 'x'.repeat(20_000 + i) } : {}),
    }),
  );
}

/** Compresses like a permessage-deflate sender with context takeover, using Node's zlib. */
async function zlibMessages(texts: string[], windowBits = 15): Promise<Buffer[]> {
  const d = createDeflateRaw({ windowBits });
  const out: Buffer[] = [];
  for (const t of texts) {
    const parts: Buffer[] = [];
    const on = (c: Buffer) => parts.push(c);
    d.on('data', on);
    d.write(t);
    await new Promise<void>((r) => d.flush(constants.Z_SYNC_FLUSH, () => r()));
    d.off('data', on);
    const all = Buffer.concat(parts);
    expect(all.subarray(-4)).toEqual(TRAILER);
    out.push(all.subarray(0, all.length - 4));
  }
  d.close();
  return out;
}

describe('MessageInflater / MessageDeflater', () => {
  it('inflates what Node zlib compressed with context takeover, message by message', async () => {
    const texts = sampleMessages(300);
    const frames = await zlibMessages(texts);
    const inflater = new MessageInflater(15, false, 0);
    expect(frames.map((f) => inflater.push(f, true).toString())).toEqual(texts);
    // Context takeover really was used: later frames are far smaller than deflating alone.
    expect(frames[299]!.length).toBeLessThan(deflateRawSync(texts[299]!).length);
  });

  it('deflates into a stream Node zlib inflates back to the same messages', () => {
    const texts = sampleMessages(300);
    const deflater = new MessageDeflater(15, false, 6);
    const frames = texts.map((t) => deflater.push(t, true));
    // Each message + the trailer it dropped, concatenated, is one valid raw DEFLATE stream.
    const joined = Buffer.concat(frames.flatMap((f) => [f, TRAILER]));
    expect(inflateRawSync(joined, SYNC).toString()).toBe(texts.join(''));
    const inflater = new MessageInflater(15, false, 0);
    expect(frames.map((f) => inflater.push(f, true).toString())).toEqual(texts);
  });

  it('handles fragments, a small window and no context takeover', async () => {
    const texts = sampleMessages(60);
    const deflater = new MessageDeflater(9, true, 1);
    const inflater = new MessageInflater(9, true, 0);
    for (const t of texts) {
      const half = Math.floor(t.length / 2);
      const a = deflater.push(t.slice(0, half), false);
      const b = deflater.push(t.slice(half), true);
      expect(Buffer.concat([inflater.push(a, false), inflater.push(b, true)]).toString()).toBe(t);
      // Without context takeover every message stands alone: zlib inflates it by itself.
      expect(inflateRawSync(Buffer.concat([a, b, TRAILER]), { ...SYNC, windowBits: 9 }).toString()).toBe(t);
    }
    const small = await zlibMessages(texts, 10);
    const wide = new MessageInflater(15, false, 0);
    expect(small.map((f) => wide.push(f, true).toString())).toEqual(texts);
  });

  it('accepts a peer that ends each message with a final DEFLATE block', () => {
    const inflater = new MessageInflater(15, false, 0);
    for (const t of sampleMessages(20)) expect(inflater.push(deflateRawSync(t), true).toString()).toBe(t);
  });

  it('rejects corrupt data, then starts clean', () => {
    const inflater = new MessageInflater(15, false, 0);
    expect(() => inflater.push(Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12]), true)).toThrow(
      /invalid compressed data/,
    );
    const good = new MessageDeflater(15, false, 6).push('{"type":"ok"}', true);
    expect(inflater.push(good, true).toString()).toBe('{"type":"ok"}');
  });

  it('stops a decompression bomb at the payload limit', () => {
    const bomb = new MessageDeflater(15, false, 9).push(Buffer.alloc(10 << 20), true);
    expect(bomb.length).toBeLessThan(20_000);
    const inflater = new MessageInflater(15, false, 1 << 20);
    expect(() => inflater.push(bomb, true)).toThrow(RangeError);
  });
});

describe('enableFastDeflate on real ws connections', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  async function server(
    perMessageDeflate: ServerOptions['perMessageDeflate'],
    onConnection: (ws: WebSocket) => void,
  ): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
    wss.on('connection', onConnection);
    await once(wss, 'listening');
    closers.push(
      () =>
        new Promise((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => r());
        }),
    );
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  function collect(ws: WebSocket, n: number): Promise<string[]> {
    const got: string[] = [];
    return new Promise((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        got.push(d.toString());
        if (got.length === n) resolve(got);
      });
      ws.on('error', reject);
      ws.on('close', () => reject(new Error(`closed after ${got.length} messages`)));
    });
  }

  for (const params of [
    { label: 'defaults', opts: { threshold: 0 } },
    {
      label: 'server_no_context_takeover, server_max_window_bits=10',
      opts: { threshold: 0, serverNoContextTakeover: true, serverMaxWindowBits: 10 },
    },
  ]) {
    it(`client inflates what ws's server compressed (${params.label})`, async () => {
      const texts = sampleMessages(400);
      const url = await server(params.opts, (ws) => {
        for (const t of texts) ws.send(t);
      });
      const client = new WebSocket(url, { perMessageDeflate: {} });
      closers.push(async () => void client.terminate());
      const got = collect(client, texts.length);
      await once(client, 'open');
      expect(isDeflateNegotiated(client)).toBe(true);
      expect(enableFastDeflate(client)).toBe(true);
      expect(await got).toEqual(texts);
    });
  }

  it("server compresses in line and ws's client inflates it; client messages still arrive", async () => {
    const texts = sampleMessages(400);
    const fromClient: string[] = [];
    const url = await server({ threshold: 0 }, (ws) => {
      expect(enableFastDeflate(ws, { level: 1 })).toBe(true);
      ws.on('message', (d: Buffer) => {
        fromClient.push(d.toString());
        for (const t of texts) ws.send(t);
      });
    });
    const client = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    closers.push(async () => void client.terminate());
    const got = collect(client, texts.length);
    await once(client, 'open');
    client.send('{"type":"subscribe"}');
    expect(await got).toEqual(texts);
    expect(fromClient).toEqual(['{"type":"subscribe"}']);
  });

  it('closes the connection on a corrupt compressed frame instead of crashing', async () => {
    const url = await server({ threshold: 0 }, (ws) => {
      ws.send('{"type":"first"}');
      // A frame with RSV1 set whose payload is not DEFLATE data, written under ws's framing.
      const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      setTimeout(() => socket.write(Buffer.from([0xc1, 0x04, 0xff, 0xff, 0xff, 0x00])), 20);
    });
    const client = new WebSocket(url, { perMessageDeflate: {} });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    const first = new Promise<string>((r) => client.once('message', (d: Buffer) => r(d.toString())));
    // (events.once would reject on the 'error' that comes first.)
    const closed = new Promise<number>((r) => client.once('close', (code: number) => r(code)));
    await once(client, 'open');
    enableFastDeflate(client);
    expect(await first).toBe('{"type":"first"}');
    await closed;
    expect(errors.map((e) => e.message).join(' ')).toMatch(/invalid compressed data/);
  });

  it('returns false and leaves ws alone when compression was not negotiated', async () => {
    const url = await server(false, (ws) => ws.send('plain'));
    const client = new WebSocket(url, { perMessageDeflate: {} });
    closers.push(async () => void client.terminate());
    const got = collect(client, 1);
    await once(client, 'open');
    expect(isDeflateNegotiated(client)).toBe(false);
    expect(enableFastDeflate(client)).toBe(false);
    expect(await got).toEqual(['plain']);
  });
});
