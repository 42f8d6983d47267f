/**
 * The generation loop: every ~1 ms it makes `rate * elapsed` trades per market (the
 * fraction carries over, so the offered rate is exact), the due book events, then lets
 * every simulator send what its clients have not had yet. After generation stops the
 * loop keeps sending, so lagging clients still get everything.
 */

import { nowUs } from '../core/time.js';
import type { ExchangeSimulator } from './exchange-simulator.js';
import type { SimMarket } from './market.js';

export interface EngineOptions {
  ratePerSymbol: number;
  bookRate: number;
  durationS?: number | undefined;
}

/** Most book events made in one tick when the loop fell behind (a stall is not replayed in full). */
const MAX_BOOK_EVENTS_PER_TICK = 50;

export class SimEngine {
  private readonly startMs = performance.now();
  private tradesMade = 0;
  private bookEventsMade = 0;
  private timer: NodeJS.Timeout | undefined;
  private generatingNow = true;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly feeds: readonly { simulator: ExchangeSimulator; markets: readonly SimMarket[] }[],
    private readonly options: EngineOptions,
  ) {}

  get generating(): boolean {
    return this.generatingNow;
  }

  start(): void {
    this.schedule();
  }

  /** Ends trade and book generation; the final trade of each market is left visible. */
  stopGenerating(): void {
    if (!this.generatingNow) return;
    this.generatingNow = false;
    const now = nowUs();
    for (const { markets } of this.feeds) for (const m of markets) m.finish(now);
    this.resolveDone();
  }

  close(): void {
    this.stopGenerating();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, 1);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    if (this.generatingNow) this.generate();
    for (const { simulator } of this.feeds) simulator.pump();
    if (this.timer !== undefined) this.schedule();
  };

  private generate(): void {
    const { ratePerSymbol, bookRate, durationS } = this.options;
    let elapsedS = (performance.now() - this.startMs) / 1000;
    const ended = durationS !== undefined && elapsedS >= durationS;
    if (ended) elapsedS = durationS;
    const now = nowUs();
    const tradeTarget = Math.floor(ratePerSymbol * elapsedS);
    const n = tradeTarget - this.tradesMade;
    if (n > 0) {
      for (const { markets } of this.feeds) for (const m of markets) m.makeTrades(n, now);
      this.tradesMade = tradeTarget;
    }
    const bookTarget = Math.floor(bookRate * elapsedS);
    this.bookEventsMade = Math.max(this.bookEventsMade, bookTarget - MAX_BOOK_EVENTS_PER_TICK);
    for (; this.bookEventsMade < bookTarget; this.bookEventsMade++) {
      for (const { simulator, markets } of this.feeds) {
        for (const m of markets) {
          const depth = simulator.bookDepthNeeded(m);
          const before = depth > 0 ? m.book.top(depth) : undefined;
          simulator.publishBook(m, m.bookEvent(now), before, now);
        }
      }
    }
    if (ended) this.stopGenerating();
  }
}
