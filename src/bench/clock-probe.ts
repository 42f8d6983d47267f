/**
 * Preloaded (`node --import`) into the simulator process by the benchmark: writes how far
 * that process's `nowUs()` clock is from the precise wall clock to ALPHAPULSE_CLOCK_FILE.
 *
 * `nowUs()` anchors `performance.now()` to `Date.now()` once per process, and `Date.now()`
 * has whole milliseconds: each process's clock lags the true time by a fixed 0-1 ms. For
 * latencies measured across two processes (simulator stamps, collector acknowledges) that
 * is an error of up to +-1 ms; the latency recorder removes it with both offsets.
 */

import { writeFileSync } from 'node:fs';
import { nowUs } from '../core/time.js';

/** `nowUs()` minus the precise wall clock (`performance.timeOrigin` is µs-precise), in µs. */
export function clockOffsetUs(): number {
  return nowUs() - Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const file = process.env.ALPHAPULSE_CLOCK_FILE;
if (file) writeFileSync(file, `${JSON.stringify({ offset_us: clockOffsetUs() })}\n`);
