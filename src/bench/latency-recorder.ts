/**
 * End-to-end latency for benchmarks: exchange event time (the simulator stamps a trade
 * with the moment it sends it) to store acknowledgement, per trade, in an HDR histogram.
 * Enabled in a collector process by ALPHAPULSE_LATENCY_FILE; written there at exit.
 */

import { writeFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import type { Trade } from '../core/types.js';

export interface LatencyReport {
  count: number;
  first_ack_us: number;
  last_ack_us: number;
  /** Milliseconds. */
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Compressed HDR histogram (µs), for merging and re-analysis. */
  hdr_base64: string;
}

export class LatencyRecorder {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private count = 0;
  private firstAck = 0;
  private lastAck = 0;

  record(trades: readonly Trade[], ackUs: number): void {
    if (this.count === 0) this.firstAck = ackUs;
    this.lastAck = ackUs;
    for (let i = 0; i < trades.length; i++) this.h.recordValue(Math.max(1, ackUs - trades[i]!.ts));
    this.count += trades.length;
  }

  report(): LatencyReport {
    const ms = (p: number) => this.h.getValueAtPercentile(p) / 1000;
    return {
      count: this.count,
      first_ack_us: this.firstAck,
      last_ack_us: this.lastAck,
      latency_ms: {
        p50: ms(50),
        p90: ms(90),
        p99: ms(99),
        p999: ms(99.9),
        max: this.h.maxValue / 1000,
        mean: this.h.mean / 1000,
      },
      hdr_base64: hdr.encodeIntoCompressedBase64(this.h),
    };
  }

  writeTo(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.report())}\n`);
  }
}
