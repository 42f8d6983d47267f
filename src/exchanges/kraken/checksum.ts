/**
 * Kraken v2 book checksum: CRC32 over the top 10 asks (ascending) then the top 10 bids
 * (descending), each level as price text + qty text with the dot removed and leading
 * zeros stripped, using the text exactly as received (protocols/kraken.md 3.1).
 */

import { crc32 } from 'node:zlib';
import type { Level, OrderBook } from '../../book/order-book.js';

function token(text: string): string {
  const s = text.replace('.', '');
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

function appendSide(levels: readonly Level[], parts: string[]): void {
  for (const l of levels) parts.push(token(l.price), token(l.size));
}

/** The string the CRC is computed over (exported for tests and diagnostics). */
export function krakenChecksumInput(book: OrderBook): string {
  const parts: string[] = [];
  appendSide(book.asks.top(10), parts);
  appendSide(book.bids.top(10), parts);
  return parts.join('');
}

/** Unsigned 32-bit checksum of the book's current top 10 levels. */
export function krakenChecksum(book: OrderBook): number {
  return crc32(krakenChecksumInput(book)) >>> 0;
}
