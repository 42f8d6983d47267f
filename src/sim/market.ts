/**
 * One simulated market (exchange + symbol): a seeded random walk of trades, the full
 * trade history, the master order book, and the `--gap-every` decision of which trades
 * the WebSocket withholds. Trades, book and faults draw from separate PRNG streams, so
 * the trade sequence depends only on the seed (not on timing or the book rate).
 */

import type { MarketSpec } from './market-spec.js';
import { type BookChange, MasterBook } from './master-book.js';
import { deriveSeed, Prng } from './prng.js';
import { MAX_SIZE_UNITS, TradeHistory } from './trade-history.js';

/** How far (fraction of the start price) the walk roams before it is pulled back. */
const WALK_BAND = 0.002;

export class SimMarket {
  readonly history: TradeHistory;
  readonly book: MasterBook;
  private readonly walk: Prng;
  private readonly gaps: Prng;
  private priceTicks: number;
  private readonly bandTicks: number;
  private lastTs = 0;
  private sinceGap = 0;
  private withholdLeft = 0;

  constructor(
    readonly spec: MarketSpec,
    seed: number,
    private readonly gapEvery = 0,
  ) {
    this.history = new TradeHistory(spec.firstTradeId);
    this.walk = new Prng(deriveSeed(seed, spec.exchange, spec.symbol, 'trades'));
    this.gaps = new Prng(deriveSeed(seed, spec.exchange, spec.symbol, 'gaps'));
    this.priceTicks = spec.startTicks;
    this.bandTicks = Math.max(10, Math.round(spec.startTicks * WALK_BAND));
    const bookRng = new Prng(deriveSeed(seed, spec.exchange, spec.symbol, 'book'));
    this.book = new MasterBook(bookRng, spec.meanSizeUnits * 8);
  }

  /** Builds the initial book (separate from the constructor so start-up time is the book's time). */
  open(nowUs: number): void {
    this.book.init(this.priceTicks, nowUs);
  }

  /** Price of the last trade (or the start price), in ticks. */
  get lastPriceTicks(): number {
    return this.priceTicks;
  }

  /** Makes `n` trades stamped `nowUs` (strictly increasing: later ones get +1 µs each). */
  makeTrades(n: number, nowUs: number): void {
    for (let k = 0; k < n; k++) this.makeTrade(nowUs, false);
  }

  /** Ends a run: the final trade must be visible on the WebSocket (gap faults never hide the tail). */
  finish(nowUs: number): void {
    const h = this.history;
    if (h.length > 0 && h.withheld(h.length - 1)) this.makeTrade(nowUs, true);
  }

  bookEvent(nowUs: number): BookChange[] {
    return this.book.event(this.priceTicks, nowUs);
  }

  private makeTrade(nowUs: number, forceVisible: boolean): void {
    const rng = this.walk;
    // Random walk in ticks, pulled back towards the start price beyond the band.
    const dev = Math.max(-1, Math.min(1, (this.priceTicks - this.spec.startTicks) / this.bandTicks));
    const r = rng.next();
    const up = 0.3 - 0.15 * dev;
    const down = 0.3 + 0.15 * dev;
    let takerBuy: boolean;
    if (r < up) {
      this.priceTicks += 1;
      takerBuy = true;
    } else if (r < up + down && this.priceTicks > 1) {
      this.priceTicks -= 1;
      takerBuy = false;
    } else takerBuy = rng.next() < 0.5;
    const size = Math.min(MAX_SIZE_UNITS, Math.max(1, Math.round(rng.exponential(this.spec.meanSizeUnits))));
    const ts = nowUs > this.lastTs ? nowUs : this.lastTs + 1;
    this.lastTs = ts;
    this.history.push(this.priceTicks, size, ts, takerBuy, !forceVisible && this.nextWithheld());
  }

  /** `--gap-every n`: after every n trades, the next 1-5 (seeded) are withheld from WebSockets. */
  private nextWithheld(): boolean {
    if (this.gapEvery <= 0) return false;
    if (this.withholdLeft > 0) {
      this.withholdLeft--;
      return true;
    }
    if (++this.sinceGap >= this.gapEvery) {
      this.sinceGap = 0;
      this.withholdLeft = this.gaps.range(1, 5);
    }
    return false;
  }
}
