/**
 * The simulated exchange's own L2 book ("master book"), per market: sorted integer ticks
 * and 1e-8 size units per side, best first. Kept around the last trade price with about
 * BOOK_LEVELS levels a side; bids stay below the trade price and asks above it, so the
 * book is never crossed. Every change is reported so the servers can publish it.
 */

import type { Prng } from './prng.js';

export type SideName = 'bids' | 'asks';

/** An absolute size at a price; size 0 deletes the level. */
export interface BookChange {
  side: SideName;
  tick: number;
  size: number;
}

/** The best levels of one side, best first (parallel arrays). */
export interface LadderTop {
  ticks: number[];
  sizes: number[];
}

export interface BookTop {
  bids: LadderTop;
  asks: LadderTop;
}

/** Levels per side (depth 1000 subscriptions get a full book). */
export const BOOK_LEVELS = 1200;
/** When the touch is further than this from the trade price, new levels are added there. */
const TOUCH_GAP = 8;
const MAX_FILL = 25;

/** One side of the book, best level first. */
export class Ladder {
  readonly ticks: number[] = [];
  readonly sizes: number[] = [];
  /** Last change of each level, epoch µs (Kraken REST Depth shows it). */
  readonly times: number[] = [];

  constructor(readonly side: SideName) {}

  get length(): number {
    return this.ticks.length;
  }

  /** True when price `a` is nearer the touch than `b`. */
  better(a: number, b: number): boolean {
    return this.side === 'bids' ? a > b : a < b;
  }

  /** Index of `tick`, or -(insertion point) - 1 when absent. */
  search(tick: number): number {
    let lo = 0;
    let hi = this.ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.ticks[mid]!, tick)) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.ticks.length && this.ticks[lo] === tick ? lo : -lo - 1;
  }

  has(tick: number): boolean {
    return this.search(tick) >= 0;
  }

  /** Sets the absolute size of a level (0 deletes it). */
  set(tick: number, size: number, ts: number): void {
    const i = this.search(tick);
    if (i >= 0) {
      if (size === 0) this.removeAt(i);
      else {
        this.sizes[i] = size;
        this.times[i] = ts;
      }
    } else if (size !== 0) {
      const at = -i - 1;
      this.ticks.splice(at, 0, tick);
      this.sizes.splice(at, 0, size);
      this.times.splice(at, 0, ts);
    }
  }

  removeAt(i: number): void {
    this.ticks.splice(i, 1);
    this.sizes.splice(i, 1);
    this.times.splice(i, 1);
  }

  top(n: number): LadderTop {
    return { ticks: this.ticks.slice(0, n), sizes: this.sizes.slice(0, n) };
  }
}

export class MasterBook {
  readonly bids = new Ladder('bids');
  readonly asks = new Ladder('asks');
  /** Time of the last change, epoch µs. */
  lastChangeUs = 0;
  /** Bumped on every change (cache key for snapshot text). */
  version = 0;

  constructor(
    private readonly rng: Prng,
    private readonly meanLevelUnits: number,
    private readonly levels = BOOK_LEVELS,
  ) {}

  /** Builds a full book around `center` (ticks). */
  init(center: number, nowUs: number): void {
    const ignored: BookChange[] = [];
    this.extend(this.bids, center - 1, nowUs, ignored);
    this.extend(this.asks, center + 1, nowUs, ignored);
    this.lastChangeUs = nowUs;
  }

  top(depth: number): BookTop {
    return { bids: this.bids.top(depth), asks: this.asks.top(depth) };
  }

  /**
   * One book event: re-centre on the trade price, then a few random changes (mostly size
   * changes near the touch, some inserts and deletes), then keep the level count.
   * Returns the changes in the order they were applied.
   */
  event(center: number, nowUs: number): BookChange[] {
    const out: BookChange[] = [];
    this.recenter(center, nowUs, out);
    const actions = this.rng.next() < 0.3 ? 2 : 1;
    for (let k = 0; k < actions; k++) this.randomChange(center, nowUs, out);
    for (const ladder of [this.bids, this.asks]) {
      while (ladder.length > this.levels + 20)
        this.apply(ladder, ladder.ticks[ladder.length - 1]!, 0, nowUs, out);
    }
    this.extend(this.bids, center - 1, nowUs, out);
    this.extend(this.asks, center + 1, nowUs, out);
    return out;
  }

  private apply(ladder: Ladder, tick: number, size: number, nowUs: number, out: BookChange[]): void {
    ladder.set(tick, size, nowUs);
    out.push({ side: ladder.side, tick, size });
    this.lastChangeUs = nowUs;
    this.version++;
  }

  private levelSize(): number {
    return Math.max(1, Math.round(this.rng.exponential(this.meanLevelUnits)));
  }

  /** Moves away from the touch by 1-3 ticks. */
  private away(ladder: Ladder, tick: number): number {
    const step = 1 + this.rng.int(3);
    return ladder.side === 'bids' ? tick - step : tick + step;
  }

  private recenter(center: number, nowUs: number, out: BookChange[]): void {
    while (this.bids.length > 0 && this.bids.ticks[0]! >= center)
      this.apply(this.bids, this.bids.ticks[0]!, 0, nowUs, out);
    while (this.asks.length > 0 && this.asks.ticks[0]! <= center)
      this.apply(this.asks, this.asks.ticks[0]!, 0, nowUs, out);
    for (const ladder of [this.bids, this.asks]) {
      const near = ladder.side === 'bids' ? center - 1 - this.rng.int(2) : center + 1 + this.rng.int(2);
      const best = ladder.ticks[0];
      if (best !== undefined && Math.abs(best - center) <= TOUCH_GAP) continue;
      // The touch walked away from the trade price: fill the hole next to it.
      let t = near;
      for (let n = 0; n < MAX_FILL && t > 0 && (best === undefined || ladder.better(t, best)); n++) {
        this.apply(ladder, t, this.levelSize(), nowUs, out);
        t = this.away(ladder, t);
      }
    }
  }

  private randomChange(center: number, nowUs: number, out: BookChange[]): void {
    const ladder = this.rng.next() < 0.5 ? this.bids : this.asks;
    const r = this.rng.next();
    if (ladder.length === 0) return;
    if (r < 0.6) {
      const i = Math.min(Math.floor(this.rng.exponential(3)), ladder.length - 1);
      this.apply(ladder, ladder.ticks[i]!, this.levelSize(), nowUs, out);
    } else if (r < 0.8) {
      const offset = 1 + this.rng.int(40);
      const t = ladder.side === 'bids' ? center - offset : center + offset;
      if (t > 0) this.apply(ladder, t, this.levelSize(), nowUs, out);
    } else if (ladder.length > 1) {
      const i = Math.min(Math.floor(this.rng.exponential(5)), ladder.length - 1);
      this.apply(ladder, ladder.ticks[i]!, 0, nowUs, out);
    }
  }

  /** Adds levels beyond the worst one until the side has `levels` levels. */
  private extend(ladder: Ladder, touch: number, nowUs: number, out: BookChange[]): void {
    let t = ladder.length > 0 ? this.away(ladder, ladder.ticks[ladder.length - 1]!) : touch;
    while (ladder.length < this.levels && t > 0) {
      this.apply(ladder, t, this.levelSize(), nowUs, out);
      t = this.away(ladder, t);
    }
  }
}
