/**
 * `npm run bench:book`: updates/s of the L2 book engine (src/book/order-book.ts) on a
 * 1000-level-a-side book with a realistic update mix: most updates near the touch
 * (distance from the best level ~ exponential, mean 8 levels), ~70 % size changes of
 * existing levels, ~15 % new levels, ~15 % deletions (size "0.00000000"), the level count
 * held near 1000. Prices are exact decimal text as Coinbase sends them ("43210.50").
 * The update stream is generated before timing; each pass replays it from the same start.
 * Writes bench/results/book.json and regenerates bench/RESULTS.md.
 *
 *   npm run bench:book [-- --levels 1000 --updates 500000 --passes 5 --top-every 10]
 */

import { OrderBook } from '../book/order-book.js';
import type { LevelText } from '../core/types.js';
import { uniform } from '../sim/prng.js';
import {
  commandLine,
  failed,
  machineInfo,
  median,
  nowIso,
  numberFlag,
  scriptFlags,
  writeResult,
} from './common.js';
import { writeReport } from './report.js';

const prng = uniform;

const MID_CENTS = 4_321_050; // 43,210.50

function priceText(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

interface Workload {
  initialBids: LevelText[];
  initialAsks: LevelText[];
  /** One update per element: [bids, asks], one of them a single level. */
  updates: [LevelText[], LevelText[]][];
  mix: { change: number; insert: number; delete: number };
  meanDistance: number;
}

/** Sorted-array model of one side: distances from the mid in ticks, best (smallest) first. */
class SideModel {
  readonly d: number[] = [];
  insert(x: number): void {
    let lo = 0;
    let hi = this.d.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.d[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    this.d.splice(lo, 0, x);
  }
  has(x: number): boolean {
    let lo = 0;
    let hi = this.d.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.d[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.d[lo] === x;
  }
}

export function buildWorkload(levels: number, n: number, seed = 1): Workload {
  const r = prng(seed);
  const size = () => (0.001 + r() * 3).toFixed(8);
  const meanDistance = 8;
  const sides = [new SideModel(), new SideModel()];
  // ~70 % occupancy of the ticks nearest the mid, like a liquid market's book.
  for (const s of sides) {
    let tick = 1;
    while (s.d.length < levels) {
      if (r() < 0.7) s.d.push(tick);
      tick++;
    }
  }
  const text = (side: number, dist: number) => priceText(side === 0 ? MID_CENTS - dist : MID_CENTS + dist);
  const initialBids: LevelText[] = sides[0]!.d.map((d) => [text(0, d), size()]);
  const initialAsks: LevelText[] = sides[1]!.d.map((d) => [text(1, d), size()]);
  const updates: [LevelText[], LevelText[]][] = new Array(n);
  const counts = { change: 0, insert: 0, delete: 0 };
  const none: LevelText[] = [];
  const rank = (len: number) => Math.min(len - 1, Math.floor(-Math.log(1 - r()) * meanDistance));
  for (let i = 0; i < n; i++) {
    const side = r() < 0.5 ? 0 : 1;
    const s = sides[side]!;
    const u = r();
    let kind: 'change' | 'insert' | 'delete' = u < 0.7 ? 'change' : u < 0.85 ? 'insert' : 'delete';
    if (kind === 'insert' && s.d.length > levels + 20) kind = 'delete';
    else if (kind === 'delete' && s.d.length < levels - 20) kind = 'insert';
    let level: LevelText;
    if (kind === 'change') {
      level = [text(side, s.d[rank(s.d.length)]!), size()];
    } else if (kind === 'delete') {
      const k = rank(s.d.length);
      level = [text(side, s.d[k]!), '0.00000000'];
      s.d.splice(k, 1);
    } else {
      // A new level near the touch: the nearest free tick to a random distance.
      let x = 1 + Math.floor(-Math.log(1 - r()) * meanDistance);
      while (s.has(x)) x++;
      s.insert(x);
      level = [text(side, x), size()];
    }
    counts[kind]++;
    updates[i] = side === 0 ? [[level], none] : [none, [level]];
  }
  return {
    initialBids,
    initialAsks,
    updates,
    mix: {
      change: Math.round((counts.change / n) * 1000) / 10,
      insert: Math.round((counts.insert / n) * 1000) / 10,
      delete: Math.round((counts.delete / n) * 1000) / 10,
    },
    meanDistance,
  };
}

export interface BookScenario {
  name: string;
  description: string;
  updates_per_s: number;
  passes: number[];
}

export interface BookFile {
  kind: 'book';
  generated_at: string;
  command: string;
  machine: ReturnType<typeof machineInfo>;
  settings: {
    levels_per_side: number;
    updates_per_pass: number;
    passes: number;
    top_every: number;
    top_n: number;
    mix_pct: Workload['mix'];
    mean_distance_from_touch_levels: number;
  };
  scenarios: BookScenario[];
  /** Levels on each side after one pass (sanity: stays near levels_per_side). */
  final_levels: { bids: number; asks: number };
}

type Step = (book: OrderBook, u: [LevelText[], LevelText[]], i: number) => void;

function pass(w: Workload, step: Step): number {
  const book = new OrderBook();
  book.reset(w.initialBids, w.initialAsks);
  const ups = w.updates;
  const t0 = performance.now();
  for (let i = 0; i < ups.length; i++) step(book, ups[i]!, i);
  return ups.length / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage: 'npm run bench:book [-- --levels 1000 --updates 500000 --passes 5 --top-every 10 --quick]',
    values: ['levels', 'updates', 'passes', 'top-every'],
    booleans: ['quick'],
  });
  const quick = flags.get('quick') === 'true';
  const levels = numberFlag(flags, 'levels', 1000);
  const n = numberFlag(flags, 'updates', quick ? 100_000 : 500_000);
  const passes = numberFlag(flags, 'passes', quick ? 2 : 5);
  const topEvery = Math.max(1, numberFlag(flags, 'top-every', 10));
  const topN = 10;
  const machine = machineInfo();
  process.stderr.write(`bench:book  ${levels} levels a side, ${n.toLocaleString()} updates a pass\n`);
  const w = buildWorkload(levels, n);
  const scenarios: { name: string; description: string; step: Step }[] = [
    {
      name: `apply + top-${topN} every ${topEvery}`,
      description: `apply each update, read the best ${topN} levels of both sides (best first) after every ${topEvery} updates`,
      step: (b, u, i) => {
        b.apply(u[0], u[1]);
        if (i % topEvery === 0) {
          b.bids.top(topN);
          b.asks.top(topN);
        }
      },
    },
    {
      name: 'apply only',
      description: 'apply each update, no reads',
      step: (b, u) => b.apply(u[0], u[1]),
    },
    {
      name: `apply + top-${topN} every update`,
      description: `apply, then read the best ${topN} of both sides after every update (a consumer that publishes the top on every change)`,
      step: (b, u) => {
        b.apply(u[0], u[1]);
        b.bids.top(topN);
        b.asks.top(topN);
      },
    },
    {
      name: `apply + truncate(${levels}) + top-${topN} every ${topEvery}`,
      description: `the Kraken path: apply, truncate each side to ${levels} levels, top-${topN} read every ${topEvery} updates`,
      step: (b, u, i) => {
        b.apply(u[0], u[1]);
        b.truncate(levels);
        if (i % topEvery === 0) {
          b.bids.top(topN);
          b.asks.top(topN);
        }
      },
    },
  ];
  // Warm-up pass of each, then interleaved passes.
  for (const s of scenarios) pass(w, s.step);
  const rates = scenarios.map(() => [] as number[]);
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < scenarios.length; i++) rates[i]!.push(pass(w, scenarios[i]!.step));
  }
  const check = new OrderBook();
  check.reset(w.initialBids, w.initialAsks);
  for (const u of w.updates) check.apply(u[0], u[1]);
  const file: BookFile = {
    kind: 'book',
    generated_at: nowIso(),
    command: commandLine('bench:book'),
    machine,
    settings: {
      levels_per_side: levels,
      updates_per_pass: n,
      passes,
      top_every: topEvery,
      top_n: topN,
      mix_pct: w.mix,
      mean_distance_from_touch_levels: w.meanDistance,
    },
    scenarios: scenarios.map((s, i) => ({
      name: s.name,
      description: s.description,
      updates_per_s: Math.round(median(rates[i]!)),
      passes: rates[i]!.map(Math.round),
    })),
    final_levels: { bids: check.bids.size, asks: check.asks.size },
  };
  for (const s of file.scenarios)
    process.stderr.write(
      `  ${s.name.padEnd(40)} ${s.updates_per_s.toLocaleString().padStart(12)} updates/s\n`,
    );
  writeResult('book', file);
  writeReport();
  process.stderr.write('bench:book  wrote bench/results/book.json, bench/RESULTS.md\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:book'));
}
