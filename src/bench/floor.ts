/**
 * `npm run bench:floor`: the collector next to the floor loop (src/bench/floor-loop.ts:
 * ws -> JSON.parse -> XADD and nothing else) in the same harness, runs interleaved per rate,
 * medians. Shows what the machine itself costs (wake-ups, sockets, Redis) and what the
 * collector's real work costs above it. Writes bench/results/floor.json, then the report.
 *
 *   npm run bench:floor [-- --rates 10000,100000 --realtime-rates 10000 --runs 3 --duration 20 --warmup 3]
 *   (--realtime-rates: both programs again under SCHED_FIFO, as `alphapulse bench --realtime`; "" = none)
 */

import {
  commandLine,
  failed,
  machineInfo,
  nowIso,
  numberFlag,
  rateList,
  scriptFlags,
  writeResult,
} from './common.js';
import { writeReport } from './report.js';
import { recordedRun } from './run-bench.js';
import { type FloorFile, floorPoints } from './sweep-summary.js';

export type { FloorFile } from './sweep-summary.js';

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage:
      'npm run bench:floor [-- --rates 10000,100000 --realtime-rates 10000 --runs 3 --duration 20 --warmup 3]',
    values: ['rates', 'realtime-rates', 'runs', 'duration', 'warmup'],
    booleans: [],
  });
  const file: FloorFile = {
    kind: 'floor',
    generated_at: nowIso(),
    command: commandLine('bench:floor'),
    machine: machineInfo(),
    settings: {
      rates: rateList(flags.get('rates') ?? '10000,100000'),
      realtime_rates: rateList(flags.get('realtime-rates') ?? '10000'),
      runs: numberFlag(flags, 'runs', 3),
      duration_s: numberFlag(flags, 'duration', 20),
      warmup_s: numberFlag(flags, 'warmup', 3),
      markets: 2,
    },
    runs: [],
    points: [],
  };
  const { settings: st } = file;
  const cases = [
    ...st.rates.map((rate) => ({ rate, realtime: false })),
    ...(st.realtime_rates ?? []).map((rate) => ({ rate, realtime: true })),
  ];
  for (let run = 1; run <= st.runs; run++) {
    for (const { rate, realtime } of cases) {
      for (const program of ['collector', 'floor'] as const) {
        const recorded = await recordedRun(
          { rate, durationS: st.duration_s, warmupS: st.warmup_s, markets: st.markets, program, realtime },
          run,
          `bench:floor  ${rate.toLocaleString()} trades/s${realtime ? ' real-time' : ''}  ${program}  run ${run}`,
        );
        file.runs.push({ ...recorded, program, realtime });
        file.points = floorPoints(file);
        writeResult('floor', file);
      }
    }
  }
  writeReport();
  process.stderr.write('bench:floor  wrote bench/results/floor.json, bench/RESULTS.md\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:floor'));
}
