/**
 * The ingest script's packed batch ("id,price,size,side,ts,recv_ts\n" per trade), written
 * straight into one Buffer: no string per trade, nothing for the garbage collector.
 */

import type { Trade } from '../../core/types.js';

const COMMA = 44;
const NEWLINE = 10;

/** Writes a non-negative safe integer as ASCII digits at `p`; returns the next position. */
function writeUint(buf: Buffer, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  let digits = 0;
  for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
  const end = p + digits;
  let q = end;
  let v = n;
  while (q > p) {
    const d = v % 10;
    buf[--q] = 48 + d;
    v = (v - d) / 10;
  }
  return end;
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
