/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2: FIN set, unmasked, no extensions)
 * encoded back to back, so a tick's messages leave in one socket write. `ws` sends each
 * message as its own header + payload chunks, and on a corked socket a tick of 1,000
 * trades became one writev of 2,000 buffers: that, not making the trades, was most of
 * the simulator's CPU at high rates.
 */

const TEXT = 0x1;
const BINARY = 0x2;
/** Largest frame header (8-byte length). */
const MAX_HEADER = 10;

function headerSize(len: number): number {
  return len < 126 ? 2 : len < 65_536 ? 4 : 10;
}

function writeHeader(buf: Buffer, p: number, opcode: number, len: number): number {
  buf[p++] = 0x80 | opcode;
  if (len < 126) buf[p++] = len;
  else if (len < 65_536) {
    buf[p++] = 126;
    buf.writeUInt16BE(len, p);
    p += 2;
  } else {
    buf[p++] = 127;
    buf.writeUInt32BE(Math.floor(len / 2 ** 32), p);
    buf.writeUInt32BE(len >>> 0, p + 4);
    p += 8;
  }
  return p;
}

/** A text message is a string, a binary message a Buffer. */
export type OutgoingMessage = string | Buffer;

/** Bytes one message's frame can take at most (UTF-8 is at most 3 bytes per UTF-16 unit). */
function worstFrameSize(m: OutgoingMessage): number {
  return MAX_HEADER + (typeof m === 'string' ? 3 * m.length : m.length);
}

/**
 * Writes one message's frame at `p` (room for worstFrameSize(m) is the caller's) and
 * returns the end. Text is written once, straight to its place: the header is sized for
 * all-ASCII text (the simulator's JSON) and moved only when the text had longer UTF-8.
 */
function encodeFrame(buf: Buffer, p: number, m: OutgoingMessage): number {
  if (typeof m !== 'string') {
    const q = writeHeader(buf, p, BINARY, m.length);
    return q + m.copy(buf, q);
  }
  const guess = headerSize(m.length);
  const written = buf.write(m, p + guess, 'utf8');
  const actual = headerSize(written);
  if (actual !== guess) buf.copyWithin(p + actual, p + guess, p + guess + written);
  writeHeader(buf, p, TEXT, written);
  return p + actual + written;
}

const POOLED_BYTES = 256 * 1024;
const MAX_FREE = 8;

/**
 * Writes batches of frames to one socket from a few recycled buffers (a fresh buffer per
 * tick is external memory V8 answers with extra garbage collections).
 */
export class FrameWriter {
  private readonly free: Buffer[] = [];

  write(socket: NodeJS.WritableStream, messages: readonly OutgoingMessage[]): void {
    let buf: Buffer | undefined;
    let p = 0;
    for (const m of messages) {
      const need = worstFrameSize(m);
      if (!buf || p + need > buf.length) {
        if (buf && p > 0) this.emit(socket, buf, p);
        buf =
          need > POOLED_BYTES
            ? Buffer.allocUnsafe(need)
            : (this.free.pop() ?? Buffer.allocUnsafeSlow(POOLED_BYTES));
        p = 0;
      }
      p = encodeFrame(buf, p, m);
    }
    if (buf && p > 0) this.emit(socket, buf, p);
  }

  private emit(socket: NodeJS.WritableStream, buf: Buffer, end: number): void {
    socket.write(buf.subarray(0, end), (err) => {
      // Written out: the buffer can take the next batch (never while the socket still holds it).
      if (!err && buf.length === POOLED_BYTES && this.free.length < MAX_FREE) this.free.push(buf);
    });
  }
}
