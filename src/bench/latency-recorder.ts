/**
 * End-to-end latency for benchmarks: exchange event time (the simulator stamps a trade
 * with the moment it sends it) to store acknowledgement, per trade, in an HDR histogram.
 * Enabled in a collector process by ALPHAPULSE_LATENCY_FILE; written there at exit.
 * ALPHAPULSE_LATENCY_FROM_US (epoch µs) excludes trades made before it (benchmark warm-up).
 * Both processes stamp with `nowUs()`, anchored to `performance.timeOrigin`: the clocks of
 * two processes on one host agree to the µs.
 */

import { writeFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import type { Trade } from '../core/types.js';

export interface LatencyReport {
  count: number;
  /** Start of the measured window (epoch µs; 0 = from the first trade). */
  from_us: number;
  first_ack_us: number;
  last_ack_us: number;
  /** Milliseconds. */
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** The same per exchange. */
  by_exchange: Record<string, { count: number; latency_ms: LatencyReport['latency_ms'] }>;
  /** The latency split at the collector's frame receive time (every 4th trade). */
  split_ms: { to_receive: LatencyReport['latency_ms']; in_collector: LatencyReport['latency_ms'] };
  /** Compressed HDR histogram (µs), for merging and re-analysis. */
  hdr_base64: string;
}

/** One trade in this many is recorded in the latency split histograms. */
const SPLIT_SAMPLE = 4;

/**
 * Latencies below this many µs (65 ms) are counted in a flat array, one increment per
 * trade; HDR's own recordValue cost the collector about 3 % of its CPU at 100,000
 * trades/s (the benchmark measuring itself). The counts go into an HDR histogram at report
 * time, so percentiles and the exported histogram are the same.
 */
const FLAT_LIMIT_US = 65_536;

/** Exact per-µs counts up to FLAT_LIMIT_US, HDR beyond. */
class LatencyCounts {
  private readonly flat = new Uint32Array(FLAT_LIMIT_US);
  private readonly beyond = newHistogram();

  record(us: number): void {
    if (us < FLAT_LIMIT_US) this.flat[us < 1 ? 1 : Math.floor(us)]!++;
    else this.beyond.recordValue(us);
  }

  toHistogram(): hdr.Histogram {
    const h = newHistogram();
    for (let v = 1; v < FLAT_LIMIT_US; v++) {
      const n = this.flat[v]!;
      if (n > 0) h.recordValueWithCount(v, n);
    }
    h.add(this.beyond);
    return h;
  }
}

function newHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function summary(h: hdr.Histogram): LatencyReport['latency_ms'] {
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  return {
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    p999: ms(99.9),
    max: h.maxValue / 1000,
    mean: h.mean / 1000,
  };
}

export class LatencyRecorder {
  /** One per exchange (merged for the total at report time: one record per trade). */
  private readonly byExchange = new Map<string, LatencyCounts>();
  /** Trade time -> frame received by the collector (simulator send lag, socket buffers, event-loop wait). */
  private readonly toReceive = new LatencyCounts();
  /** Frame received -> store acknowledgement (parse, sequence, batch, Redis round trip). */
  private readonly inCollector = new LatencyCounts();
  private count = 0;
  private firstAck = 0;
  private lastAck = 0;

  /** @param fromUs trades with an event time before this (epoch µs) are not recorded. */
  constructor(private readonly fromUs = Number(process.env.ALPHAPULSE_LATENCY_FROM_US ?? 0) || 0) {}

  private counts(exchange: string): LatencyCounts {
    let c = this.byExchange.get(exchange);
    if (!c) {
      c = new LatencyCounts();
      this.byExchange.set(exchange, c);
    }
    return c;
  }

  record(trades: readonly Trade[], ackUs: number): void {
    if (trades.length === 0) return;
    // A batch holds one market's trades.
    const c = this.counts(trades[0]!.exchange);
    let n = 0;
    for (let i = 0; i < trades.length; i++) {
      const ts = trades[i]!.ts;
      if (ts < this.fromUs) continue;
      c.record(ackUs - ts);
      // The split is diagnostic: every 4th trade is plenty and keeps the recorder cheap.
      if ((this.count + n) % SPLIT_SAMPLE === 0) {
        const recvTs = trades[i]!.recvTs;
        this.toReceive.record(recvTs - ts);
        this.inCollector.record(ackUs - recvTs);
      }
      n++;
    }
    if (n === 0) return;
    if (this.count === 0) this.firstAck = ackUs;
    this.lastAck = ackUs;
    this.count += n;
  }

  report(): LatencyReport {
    const total = newHistogram();
    const by_exchange: LatencyReport['by_exchange'] = {};
    for (const [ex, c] of this.byExchange) {
      const h = c.toHistogram();
      total.add(h);
      by_exchange[ex] = { count: h.totalCount, latency_ms: summary(h) };
    }
    return {
      count: this.count,
      from_us: this.fromUs,
      first_ack_us: this.firstAck,
      last_ack_us: this.lastAck,
      latency_ms: summary(total),
      by_exchange,
      split_ms: {
        to_receive: summary(this.toReceive.toHistogram()),
        in_collector: summary(this.inCollector.toHistogram()),
      },
      hdr_base64: hdr.encodeIntoCompressedBase64(total),
    };
  }

  writeTo(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.report())}\n`);
  }
}
