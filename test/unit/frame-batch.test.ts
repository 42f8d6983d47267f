/** The simulator's batched frames are read back exactly by a real `ws` client. */

import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameWriter, type OutgoingMessage } from '../../src/sim/frame-batch.js';

function text(len: number, ch = 'x'): string {
  return ch.repeat(len);
}

/** The bytes FrameWriter writes for `messages`. */
function framesOf(messages: readonly OutgoingMessage[]): Buffer {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  new FrameWriter().write(sink, messages);
  return Buffer.concat(chunks);
}

describe('FrameWriter', () => {
  it('delivers every length class (7-bit, 16-bit, 64-bit), binary and multi-byte text, in order', async () => {
    const messages: OutgoingMessage[] = [
      '',
      text(125),
      text(126),
      text(65_535),
      text(65_536),
      text(200_001),
      'prix: 43 210,50 € — 価格',
      // Longer in UTF-8 than in UTF-16 units, across the 126 and 65,536 header sizes.
      'é'.repeat(100),
      'é'.repeat(40_000),
      Buffer.from([0, 1, 2, 255]),
      '{"type":"match","trade_id":1}',
    ];
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (ws) => {
      const socket = (ws as unknown as { _socket: Socket })._socket;
      // A batch may follow another on the same connection; the pooled writer splits
      // what does not fit one of its buffers.
      const writer = new FrameWriter();
      writer.write(socket, messages.slice(0, 4));
      writer.write(socket, messages.slice(4, 7));
      writer.write(socket, messages.slice(7));
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as AddressInfo;
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    const received: { data: Buffer; binary: boolean }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        client.on('error', reject);
        client.on('message', (data, isBinary) => {
          received.push({ data: data as Buffer, binary: isBinary });
          if (received.length === messages.length) resolve();
        });
      });
      expect(received.length).toBe(messages.length);
      messages.forEach((m, i) => {
        const r = received[i]!;
        expect(r.binary).toBe(typeof m !== 'string');
        if (typeof m === 'string') expect(r.data.toString('utf8')).toBe(m);
        else expect(r.data.equals(m)).toBe(true);
      });
    } finally {
      client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('writes the minimal header for each length', () => {
    expect([...framesOf(['ab']).subarray(0, 2)]).toEqual([0x81, 2]);
    expect([...framesOf([Buffer.alloc(3)]).subarray(0, 2)]).toEqual([0x82, 3]);
    expect([...framesOf([text(300)]).subarray(0, 4)]).toEqual([0x81, 126, 1, 44]);
    expect([...framesOf([text(70_000)]).subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 17, 112]);
    expect(framesOf(['é']).length).toBe(2 + 2);
  });
});
