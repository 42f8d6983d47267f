/** The end-to-end results files (sweep, floor) and their per-rate medians (shared by the scripts and the report). */

import type { MachineInfo, machineInfo } from './common.js';
import { median, round } from './common.js';
import type { BenchResult } from './run-bench.js';

export interface SweepRun {
  offered_rate: number;
  run: number;
  result?: BenchResult;
  error?: string;
  /** Machine speed just before the run (`calibrate()`); absent in older files. */
  calibration_ops_per_s?: number;
}

export interface SweepPoint {
  offered_rate: number;
  runs: number;
  failed_runs: number;
  /** Medians over the runs that completed (lost: the worst run). */
  achieved_rate: number;
  lost_max: number;
  sent_total: number;
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number };
  collector_cpu_pct: number;
  /** % of the window the collector was runnable but had no CPU (other load on the machine). */
  collector_cpu_wait_pct: number;
  /** p99 of trade made -> frame received by the collector, and of frame received -> Redis ack (ms). */
  made_to_received_p99_ms: number;
  received_to_ack_p99_ms: number;
  collector_rss_mb_peak: number;
  redis_cpu_pct: number;
  simulator_cpu_pct: number;
  load_avg_1m: number;
}

export interface SweepFile {
  kind: 'sweep';
  generated_at: string;
  command: string;
  quick: boolean;
  note: string;
  machine: ReturnType<typeof machineInfo>;
  settings: {
    rates: number[];
    runs: number;
    duration_s: number;
    warmup_s: number;
    markets: number;
    sustain: { rate: number; duration_s: number; runs: number } | null;
  };
  runs: SweepRun[];
  points: SweepPoint[];
  sustained: { runs: SweepRun[]; point: SweepPoint | null };
  /** Added later (absent in older files): the same points over permessage-deflate streams. */
  compressed?: { rates: number[]; runs: SweepRun[]; points: SweepPoint[] };
  /**
   * Added later (absent in older files): points with the collector, Redis and simulator
   * under SCHED_FIFO (`alphapulse bench --realtime`), interleaved with the default runs.
   */
  realtime?: { rates: number[]; runs: SweepRun[]; points: SweepPoint[] };
}

/** Per-rate medians of a list of runs. */
export function pointsOf(rates: readonly number[], runs: readonly SweepRun[]): SweepPoint[] {
  return rates
    .map((rate) =>
      summarise(
        rate,
        runs.filter((r) => r.offered_rate === rate),
      ),
    )
    .filter((p): p is SweepPoint => p !== null);
}

export function summarise(offered: number, runs: readonly SweepRun[]): SweepPoint | null {
  const ok = runs.map((r) => r.result).filter((r): r is BenchResult => r !== undefined);
  if (ok.length === 0) return null;
  const med = (f: (r: BenchResult) => number) => round(median(ok.map(f)), 3);
  return {
    offered_rate: offered,
    runs: runs.length,
    failed_runs: runs.length - ok.length,
    achieved_rate: Math.round(med((r) => r.achieved_rate)),
    lost_max: Math.max(...ok.map((r) => r.lost)),
    sent_total: ok.reduce((a, r) => a + r.sent, 0),
    latency_ms: {
      p50: med((r) => r.latency_ms.p50),
      p90: med((r) => r.latency_ms.p90),
      p99: med((r) => r.latency_ms.p99),
      p999: med((r) => r.latency_ms.p999),
      max: med((r) => r.latency_ms.max),
    },
    collector_cpu_pct: med((r) => r.collector_cpu_pct),
    collector_cpu_wait_pct: med((r) => r.collector_cpu_wait_pct ?? Number.NaN),
    made_to_received_p99_ms: med((r) => r.latency_split_ms?.to_receive.p99 ?? Number.NaN),
    received_to_ack_p99_ms: med((r) => r.latency_split_ms?.in_collector.p99 ?? Number.NaN),
    collector_rss_mb_peak: med((r) => r.collector_rss_mb_peak),
    redis_cpu_pct: med((r) => r.redis_cpu_pct),
    simulator_cpu_pct: med((r) => r.simulator_cpu_pct),
    load_avg_1m: med((r) => r.load_avg_1m),
  };
}

export type FloorProgram = 'collector' | 'floor';

export interface FloorFile {
  kind: 'floor';
  generated_at: string;
  command: string;
  machine: MachineInfo;
  settings: {
    rates: number[];
    /** Rates run again with both programs under SCHED_FIFO (absent in older files). */
    realtime_rates?: number[];
    runs: number;
    duration_s: number;
    warmup_s: number;
    markets: number;
  };
  runs: (SweepRun & { program: FloorProgram; realtime?: boolean })[];
  /** Medians per rate, scheduling mode and program. */
  points: (SweepPoint & { program: FloorProgram; realtime: boolean })[];
}

export function floorPoints(f: Pick<FloorFile, 'settings' | 'runs'>): FloorFile['points'] {
  const out: FloorFile['points'] = [];
  const modes: [number[], boolean][] = [
    [f.settings.rates, false],
    [f.settings.realtime_rates ?? [], true],
  ];
  for (const [rates, realtime] of modes)
    for (const rate of rates)
      for (const program of ['collector', 'floor'] as const) {
        const p = summarise(
          rate,
          f.runs.filter(
            (r) => r.offered_rate === rate && r.program === program && (r.realtime === true) === realtime,
          ),
        );
        if (p) out.push({ ...p, program, realtime });
      }
  return out;
}
