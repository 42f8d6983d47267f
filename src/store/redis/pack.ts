/**
 * The ingest script's packed batch ("id,price,size,side,ts,recv_ts\n" per trade), written
 * straight into one Buffer: no string per trade, nothing for the garbage collector.
 */

import type { Trade } from '../../core/types.js';

const COMMA = 44;
const NEWLINE = 10;

/** Digits of 0 <= n < 1e8 (comparisons: cheaper than a division loop). */
function digitsSmall(n: number): number {
  if (n < 10_000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : 4;
  return n < 1_000_000 ? (n < 100_000 ? 5 : 6) : n < 10_000_000 ? 7 : 8;
}

/** Writes 0 <= n < 1e8 in `width` digits (zero-padded) ending at p + width; int32 math only. */
function writeDigits(buf: Buffer, p: number, n: number, width: number): number {
  let v = n | 0;
  for (let q = p + width - 1; q >= p; q--) {
    const next = (v / 10) | 0;
    buf[q] = 48 + v - next * 10;
    v = next;
  }
  return p + width;
}

/**
 * Writes a non-negative safe integer as ASCII digits at `p`; returns the next position.
 * Timestamps (16 digits) go as two int32 halves: float division per digit was the
 * largest single cost of packing a batch.
 */
function writeUint(buf: Buffer, p: number, n: number): number {
  if (n < 100_000_000) return writeDigits(buf, p, n, digitsSmall(n));
  const hi = Math.floor(n / 100_000_000); // < 1e8 for any safe integer (2^53 < 1e16)
  const q = writeDigits(buf, p, hi, digitsSmall(hi));
  return writeDigits(buf, q, n - hi * 100_000_000, 8);
}

/** Fields never contain ',' or a newline: validated decimals, buy/sell, integers. */
export function packTrades(trades: readonly Trade[]): Buffer {
  let size = 0;
  for (let i = 0; i < trades.length; i++) size += 60 + trades[i]!.price.length + trades[i]!.size.length;
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    p = writeUint(buf, p, t.id);
    buf[p++] = COMMA;
    p += buf.write(t.price, p, 'latin1');
    buf[p++] = COMMA;
    p += buf.write(t.size, p, 'latin1');
    buf[p++] = COMMA;
    p += buf.write(t.side, p, 'latin1');
    buf[p++] = COMMA;
    p = writeUint(buf, p, t.ts);
    buf[p++] = COMMA;
    p = writeUint(buf, p, t.recvTs);
    buf[p++] = NEWLINE;
  }
  return buf.subarray(0, p);
}
