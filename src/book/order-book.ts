/**
 * L2 order book engine shared by every exchange. Levels are keyed by the canonical
 * decimal text of their price (never a float), kept in a B+ tree: O(log n) updates,
 * best-first iteration, any depth. The text of price and size as last received is
 * kept too, because Kraken's checksum is computed over it.
 */

import { createRequire } from 'node:module';
import { canonicalDecimal, compareCanonical, isPlainDecimal, isZeroDecimal } from '../core/decimal.js';
import type { LevelText } from '../core/types.js';

// sorted-btree is CommonJS with `exports.default`; require() reads it the same way under
// Node's ESM loader and under test transpilers.
const BTree = (createRequire(import.meta.url)('sorted-btree') as typeof import('sorted-btree')).default;
type Tree = InstanceType<typeof BTree<string, Level>>;

export interface Level {
  /** Price text as last received (e.g. `0.0280`). */
  price: string;
  /** Size text as last received. */
  size: string;
}

export type BookSideName = 'bids' | 'asks';

const descending = (a: string, b: string): number => compareCanonical(b, a);

/** One side of a book, best level first. */
export class BookSide {
  private readonly tree: Tree;

  constructor(readonly name: BookSideName) {
    this.tree = new BTree<string, Level>(undefined, name === 'bids' ? descending : compareCanonical);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Sets the absolute size at a price; a zero size deletes the level. */
  set(price: string, size: string): void {
    const key = canonicalDecimal(price);
    if (isZeroDecimal(size)) this.tree.delete(key);
    else this.tree.set(key, { price, size });
  }

  get(price: string): Level | undefined {
    return this.tree.get(canonicalDecimal(price));
  }

  best(): Level | undefined {
    const k = this.tree.minKey();
    return k === undefined ? undefined : this.tree.get(k);
  }

  /** The best `n` levels (all when n is undefined), best first. */
  top(n?: number): Level[] {
    const out: Level[] = [];
    const limit = n ?? this.tree.size;
    if (limit <= 0) return out;
    for (const [, level] of this.tree.entries()) {
      out.push(level);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Drops every level beyond `depth` (Kraken's truncation rule). */
  truncate(depth: number): void {
    while (this.tree.size > depth) {
      const worst = this.tree.maxKey();
      if (worst === undefined) break;
      this.tree.delete(worst);
    }
  }

  clear(): void {
    this.tree.clear();
  }
}

/** Throws for level text that is not a valid price/size pair. */
export function validateLevel(level: LevelText): void {
  const [price, size] = level;
  if (
    typeof price !== 'string' ||
    typeof size !== 'string' ||
    !isPlainDecimal(price) ||
    !isPlainDecimal(size)
  ) {
    throw new BookDataError(`bad level ${JSON.stringify(level)}`);
  }
  if (isZeroDecimal(price)) throw new BookDataError(`zero price in level ${JSON.stringify(level)}`);
}

export class BookDataError extends Error {}

export class OrderBook {
  readonly bids = new BookSide('bids');
  readonly asks = new BookSide('asks');

  /** Replaces the whole book. */
  reset(bids: readonly LevelText[], asks: readonly LevelText[]): void {
    this.bids.clear();
    this.asks.clear();
    this.apply(bids, asks);
  }

  /** Applies absolute-size changes strictly in array order. */
  apply(bids: readonly LevelText[], asks: readonly LevelText[]): void {
    for (const [p, s] of bids) this.bids.set(p, s);
    for (const [p, s] of asks) this.asks.set(p, s);
  }

  truncate(depth: number): void {
    this.bids.truncate(depth);
    this.asks.truncate(depth);
  }

  /** Best bid >= best ask: impossible on one healthy exchange book. */
  isCrossed(): boolean {
    const b = this.bids.best();
    const a = this.asks.best();
    if (!b || !a) return false;
    return compareCanonical(canonicalDecimal(b.price), canonicalDecimal(a.price)) >= 0;
  }

  get empty(): boolean {
    return this.bids.size === 0 && this.asks.size === 0;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }
}
