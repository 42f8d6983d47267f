/**
 * permessage-deflate (RFC 7692) without a thread-pool round trip per message.
 *
 * `ws` inflates and deflates each message through Node's asynchronous zlib streams: every
 * message waits for a libuv thread-pool job and an event-loop turn, which caps a compressed
 * connection at ~12-15k messages/s however small the messages are. Exchange messages are a
 * few hundred bytes, for which the inflate itself takes a few microseconds. This module
 * replaces, on one negotiated connection, `ws`'s per-connection PerMessageDeflate
 * `decompress`/`compress` with synchronous ones on a persistent pako stream (same window,
 * same context takeover rules as negotiated). The receiver's callback is still delivered on
 * a microtask, as `ws`'s receiver needs (it must not re-enter its parse loop).
 *
 * `ws` looks the extension up on each message (`websocket._extensions`), so the swap is
 * done on 'open' / 'connection', before the first frame is parsed. If a future `ws` changes
 * that shape, `enableFastDeflate` returns false and `ws`'s own path stays in use.
 */

import pako from 'pako';
import type { WebSocket } from 'ws';

const EXTENSION = 'permessage-deflate';
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const Z_SYNC_FLUSH = 2;
/** Output buffer per flush: pako allocates one per message, so small (most messages fit). */
const CHUNK = 4096;

type Callback = (err: Error | null, data?: Buffer) => void;

/** The parts of `ws`'s PerMessageDeflate used here (ws 8). */
interface PerMessageDeflateShape {
  params: Record<string, unknown> | null;
  _isServer: boolean;
  _maxPayload: number;
  decompress: (data: Buffer, fin: boolean, cb: Callback) => void;
  compress: (data: Buffer | string, fin: boolean, cb: Callback) => void;
}

export interface FastDeflateOptions {
  /** zlib level for what this side sends (default 6, zlib's default; 1 is ~2x cheaper). */
  level?: number;
}

function extensionOf(ws: WebSocket): PerMessageDeflateShape | undefined {
  const ext = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions?.[EXTENSION];
  if (typeof ext !== 'object' || ext === null) return undefined;
  const e = ext as Partial<PerMessageDeflateShape>;
  if (typeof e.decompress !== 'function' || typeof e.compress !== 'function') return undefined;
  if (typeof e.params !== 'object' || e.params === null || typeof e._isServer !== 'boolean') return undefined;
  return ext as PerMessageDeflateShape;
}

/** Whether this connection negotiated permessage-deflate. */
export function isDeflateNegotiated(ws: WebSocket): boolean {
  return extensionOf(ws) !== undefined;
}

function isEnded(stream: pako.Inflate): boolean {
  return (stream as unknown as { ended?: boolean }).ended === true;
}

function windowBits(params: Record<string, unknown>, key: string): number {
  const v = params[key];
  // The RFC allows 8, which zlib (and pako) treat as 9 for deflate; inflate takes 8..15.
  return typeof v === 'number' && v >= 8 && v <= 15 ? Math.max(9, v) : 15;
}

/** The output chunks pako hands over during one push, joined without a copy when single. */
class Chunks {
  private parts: Uint8Array[] = [];
  private length = 0;

  /** Adds a chunk; returns the bytes held so far. */
  add(part: Uint8Array): number {
    this.parts.push(part);
    this.length += part.length;
    return this.length;
  }

  /** Everything added since the last take or clear, as one Buffer. */
  take(): Buffer {
    const one = this.parts.length === 1 ? this.parts[0]! : undefined;
    const out = one
      ? Buffer.from(one.buffer, one.byteOffset, one.length)
      : Buffer.concat(this.parts, this.length);
    this.clear();
    return out;
  }

  clear(): void {
    this.parts = [];
    this.length = 0;
  }
}

/** Inflates one connection's messages in order, keeping the LZ77 window between them. */
export class MessageInflater {
  private inflate: pako.Inflate | undefined;
  private readonly out = new Chunks();

  constructor(
    private readonly bits: number,
    private readonly noContextTakeover: boolean,
    private readonly maxPayload: number,
  ) {}

  private stream(): pako.Inflate {
    if (this.inflate) return this.inflate;
    const inflate = new pako.Inflate({ raw: true, windowBits: this.bits, chunkSize: CHUNK });
    inflate.onData = (chunk) => {
      // Stop a decompression bomb before it is all in memory.
      if (this.out.add(chunk as Uint8Array) > this.maxPayload && this.maxPayload > 0)
        throw new RangeError('Max payload size exceeded');
    };
    this.inflate = inflate;
    return inflate;
  }

  /** One fragment of a message (the whole message when `fin`); returns its inflated bytes. */
  push(data: Uint8Array, fin: boolean): Buffer {
    const inflate = this.stream();
    try {
      let ok = inflate.push(data, Z_SYNC_FLUSH);
      // A peer may close the DEFLATE stream (BFINAL) at a message's end: then no trailer,
      // and the next message starts a new stream.
      if (ok && fin && !isEnded(inflate)) ok = inflate.push(TRAILER, Z_SYNC_FLUSH);
      if (!ok || inflate.err !== 0) {
        throw new Error(`invalid compressed data: ${inflate.msg || `zlib error ${inflate.err}`}`);
      }
    } catch (e) {
      // The window is lost with the error: the connection cannot go on; start clean if it tries.
      this.inflate = undefined;
      this.out.clear();
      throw e;
    }
    if (isEnded(inflate) || (fin && this.noContextTakeover)) this.inflate = undefined;
    return this.out.take();
  }
}

/** Deflates one connection's messages in order, each ending on a byte boundary (sync flush). */
export class MessageDeflater {
  private deflate: pako.Deflate | undefined;
  private readonly out = new Chunks();

  constructor(
    private readonly bits: number,
    private readonly noContextTakeover: boolean,
    private readonly level: number,
  ) {}

  private stream(): pako.Deflate {
    if (this.deflate) return this.deflate;
    const deflate = new pako.Deflate({
      raw: true,
      windowBits: this.bits,
      level: this.level as pako.DeflateOptions['level'],
      chunkSize: CHUNK,
    });
    deflate.onData = (chunk) => {
      this.out.add(chunk as Uint8Array);
    };
    this.deflate = deflate;
    return deflate;
  }

  /** One fragment; with `fin`, the final 00 00 ff ff of the sync flush is dropped (RFC 7692 7.2.1). */
  push(data: Uint8Array | string, fin: boolean): Buffer {
    const deflate = this.stream();
    if (!deflate.push(data, Z_SYNC_FLUSH)) {
      this.deflate = undefined;
      this.out.clear();
      throw new Error(`deflate failed: ${deflate.msg || `zlib error ${deflate.err}`}`);
    }
    const all = this.out.take();
    if (fin && this.noContextTakeover) this.deflate = undefined;
    return fin ? all.subarray(0, all.length - 4) : all;
  }
}

/**
 * Switches an open connection (client side after 'open', server side on 'connection') to
 * the synchronous path. Returns false (and changes nothing) when permessage-deflate was not
 * negotiated or `ws` is not shaped as expected.
 */
export function enableFastDeflate(ws: WebSocket, options: FastDeflateOptions = {}): boolean {
  const ext = extensionOf(ws);
  if (!ext?.params) return false;
  const params = ext.params;
  // Our own messages are compressed with our side's parameters, the peer's inflated with its.
  const mine = ext._isServer ? 'server' : 'client';
  const theirs = ext._isServer ? 'client' : 'server';
  const inflater = new MessageInflater(
    windowBits(params, `${theirs}_max_window_bits`),
    params[`${theirs}_no_context_takeover`] === true,
    typeof ext._maxPayload === 'number' ? ext._maxPayload : 0,
  );
  const deflater = new MessageDeflater(
    windowBits(params, `${mine}_max_window_bits`),
    params[`${mine}_no_context_takeover`] === true,
    options.level ?? 6,
  );
  ext.decompress = (data, fin, cb) => {
    let out: Buffer;
    try {
      out = inflater.push(data, fin);
    } catch (e) {
      queueMicrotask(() => cb(e instanceof Error ? e : new Error(String(e))));
      return;
    }
    // ws's receiver must not be called back synchronously (it would run its loop twice).
    queueMicrotask(() => cb(null, out));
  };
  ext.compress = (data, fin, cb) => {
    // ws's sender takes a synchronous callback: it only frames and queues the bytes.
    cb(null, deflater.push(data, fin));
  };
  return true;
}
