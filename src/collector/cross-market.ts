/**
 * Watches each symbol's best bid/ask across exchanges and publishes a `signals:{SYM}`
 * entry when one exchange's bid is above another's ask by more than the threshold
 * (a crossed market: an arbitrage signal), once when it starts and at most once a second
 * while it lasts.
 */

import type { Logger } from '../core/logger.js';
import type { Exchange } from '../core/types.js';
import type { BookTop, Store } from '../store/store.js';

interface Best {
  bid: number;
  bidText: string;
  ask: number;
  askText: string;
}

export interface CrossReport {
  symbol: string;
  bidExchange: Exchange;
  bid: string;
  askExchange: Exchange;
  ask: string;
  spreadBps: number;
}

/** Best bid on one exchange above the best ask on another, by how many bps of the mid. */
export function findCross(symbol: string, bests: ReadonlyMap<Exchange, Best>): CrossReport | undefined {
  let worst: CrossReport | undefined;
  for (const [bx, b] of bests) {
    for (const [ax, a] of bests) {
      if (ax === bx || !(b.bid > a.ask)) continue;
      const mid = (b.bid + a.ask) / 2;
      const bps = ((b.bid - a.ask) / mid) * 10_000;
      if (!worst || bps > worst.spreadBps) {
        worst = { symbol, bidExchange: bx, bid: b.bidText, askExchange: ax, ask: a.askText, spreadBps: bps };
      }
    }
  }
  return worst;
}

export class CrossMarketWatcher {
  private readonly bests = new Map<string, Map<Exchange, Best>>();
  private readonly lastSignalAt = new Map<string, number>();
  private readonly crossed = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly thresholdBps: number,
    private readonly log: Logger,
  ) {}

  update(exchange: Exchange, symbol: string, top: BookTop | undefined): void {
    let m = this.bests.get(symbol);
    if (!m) {
      m = new Map();
      this.bests.set(symbol, m);
    }
    const b = top?.bids[0];
    const a = top?.asks[0];
    if (!b || !a) m.delete(exchange);
    else m.set(exchange, { bid: Number(b[0]), bidText: b[0], ask: Number(a[0]), askText: a[0] });
    const cross = m.size > 1 ? findCross(symbol, m) : undefined;
    if (!cross || cross.spreadBps <= this.thresholdBps) {
      this.crossed.delete(symbol);
      return;
    }
    const now = Date.now();
    const started = !this.crossed.has(symbol);
    if (!started && now - (this.lastSignalAt.get(symbol) ?? 0) < 1000) return;
    this.crossed.add(symbol);
    this.lastSignalAt.set(symbol, now);
    void this.store
      .publishSignal(symbol, {
        type: 'crossed',
        symbol,
        bid_exchange: cross.bidExchange,
        bid: cross.bid,
        ask_exchange: cross.askExchange,
        ask: cross.ask,
        spread_bps: cross.spreadBps.toFixed(3),
        started: started ? '1' : '0',
        ts: String(now * 1000),
      })
      .catch((e: unknown) => this.log.debug({ err: (e as Error).message }, 'signal not published'));
  }
}
