/**
 * Every trade a simulated market made, kept compactly in chunked typed arrays (about
 * 17 bytes a trade, so ~10 M trades fit) because REST must serve all of them and each
 * WebSocket client reads it through its own cursor instead of a copy.
 */

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

const FLAG_TAKER_BUY = 1;
const FLAG_WITHHELD = 2;

/** Sizes are stored as uint32 units of 1e-8, so one trade is at most this many units. */
export const MAX_SIZE_UNITS = 0xffff_ffff;

export class TradeHistory {
  private readonly prices: Int32Array[] = [];
  private readonly sizes: Uint32Array[] = [];
  private readonly times: Float64Array[] = [];
  private readonly flags: Uint8Array[] = [];
  private count = 0;

  constructor(readonly firstId: number) {}

  get length(): number {
    return this.count;
  }

  push(priceTicks: number, sizeUnits: number, ts: number, takerBuy: boolean, withheld: boolean): void {
    const i = this.count;
    if ((i & MASK) === 0) {
      this.prices.push(new Int32Array(CHUNK));
      this.sizes.push(new Uint32Array(CHUNK));
      this.times.push(new Float64Array(CHUNK));
      this.flags.push(new Uint8Array(CHUNK));
    }
    const c = i >>> CHUNK_BITS;
    const j = i & MASK;
    this.prices[c]![j] = priceTicks;
    this.sizes[c]![j] = sizeUnits;
    this.times[c]![j] = ts;
    this.flags[c]![j] = (takerBuy ? FLAG_TAKER_BUY : 0) | (withheld ? FLAG_WITHHELD : 0);
    this.count = i + 1;
  }

  id(i: number): number {
    return this.firstId + i;
  }

  /** Index of a trade id (may be out of range: callers clamp). */
  indexOf(id: number): number {
    return id - this.firstId;
  }

  price(i: number): number {
    return this.prices[i >>> CHUNK_BITS]![i & MASK]!;
  }

  size(i: number): number {
    return this.sizes[i >>> CHUNK_BITS]![i & MASK]!;
  }

  /** Event time, epoch µs. Strictly increasing with the index. */
  ts(i: number): number {
    return this.times[i >>> CHUNK_BITS]![i & MASK]!;
  }

  takerBuy(i: number): boolean {
    return (this.flags[i >>> CHUNK_BITS]![i & MASK]! & FLAG_TAKER_BUY) !== 0;
  }

  withheld(i: number): boolean {
    return (this.flags[i >>> CHUNK_BITS]![i & MASK]! & FLAG_WITHHELD) !== 0;
  }

  /** Index of the first trade with ts > `us` (binary search; times are strictly increasing). */
  firstAfter(us: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts(mid) > us) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
