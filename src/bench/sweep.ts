/**
 * `npm run bench:sweep`: the end-to-end benchmark (simulator -> collector -> Redis) at a
 * series of offered rates, several runs each, plus one sustained run; medians per rate.
 * Writes bench/results/sweep.json, then regenerates bench/RESULTS.md and the chart.
 *
 *   npm run bench:sweep                      full: 1k..200k trades/s, 3 runs x 20 s, 100k x 60 s
 *   npm run bench:sweep -- --quick           tooling check: 2 s per point, 1 run, 5 s sustained
 *   flags: --rates 1000,10000 --runs 3 --duration 20 --warmup 3 --markets 2
 *          --sustain-rate 100000 --sustain-duration 60 --sustain-runs 1 --note "text"
 *          --compressed-rates 10000,50000,100000 (one run each over permessage-deflate; "" = none)
 *          --realtime-rates 10000,100000,150000 (--runs each under SCHED_FIFO, interleaved; "" = none)
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
import { pointsOf, type SweepFile, type SweepRun, summarise } from './sweep-summary.js';

export type { SweepFile, SweepPoint, SweepRun } from './sweep-summary.js';

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage: [
      'npm run bench:sweep [-- --rates 1000,10000,50000,100000,150000,200000 --runs 3 --duration 20',
      '                       --warmup 3 --markets 2 --sustain-rate 100000 --sustain-duration 60',
      '                       --sustain-runs 1 --compressed-rates 10000,50000,100000',
      '                       --realtime-rates 10000,100000,150000 --note "text" --quick]',
    ].join('\n'),
    values: [
      'rates',
      'runs',
      'duration',
      'warmup',
      'markets',
      'sustain-rate',
      'sustain-duration',
      'sustain-runs',
      'compressed-rates',
      'realtime-rates',
      'note',
    ],
    booleans: ['quick'],
  });
  const quick = flags.get('quick') === 'true';
  const rates = rateList(flags.get('rates') ?? '1000,10000,50000,100000,150000,200000');
  const runsPer = numberFlag(flags, 'runs', quick ? 1 : 3);
  const durationS = numberFlag(flags, 'duration', quick ? 2 : 20);
  const warmupS = numberFlag(flags, 'warmup', quick ? 1 : 3);
  const markets = numberFlag(flags, 'markets', 2);
  const sustainRate = numberFlag(flags, 'sustain-rate', 100_000);
  const sustainDuration = numberFlag(flags, 'sustain-duration', quick ? 5 : 60);
  const sustainRuns = numberFlag(flags, 'sustain-runs', 1);
  const compressedRates = rateList(flags.get('compressed-rates') ?? (quick ? '10000' : '10000,50000,100000'));
  const realtimeRates = rateList(flags.get('realtime-rates') ?? (quick ? '10000' : '10000,100000,150000'));
  const file: SweepFile = {
    kind: 'sweep',
    generated_at: nowIso(),
    command: commandLine('bench:sweep'),
    quick,
    note: flags.get('note') ?? '',
    machine: machineInfo(),
    settings: {
      rates,
      runs: runsPer,
      duration_s: durationS,
      warmup_s: warmupS,
      markets,
      sustain:
        sustainRate > 0 && sustainRuns > 0
          ? { rate: sustainRate, duration_s: sustainDuration, runs: sustainRuns }
          : null,
    },
    runs: [],
    points: [],
    sustained: { runs: [], point: null },
    compressed: { rates: compressedRates, runs: [], points: [] },
    realtime: { rates: realtimeRates, runs: [], points: [] },
  };
  const save = () => {
    file.points = pointsOf(rates, file.runs);
    if (file.compressed) file.compressed.points = pointsOf(compressedRates, file.compressed.runs);
    if (file.realtime) file.realtime.points = pointsOf(realtimeRates, file.realtime.runs);
    file.sustained.point = file.settings.sustain
      ? summarise(file.settings.sustain.rate, file.sustained.runs)
      : null;
    writeResult('sweep', file);
    writeReport();
  };
  const one = async (
    rate: number,
    run: number,
    duration: number,
    mode: { compression?: boolean; realtime?: boolean } = {},
  ): Promise<SweepRun> =>
    recordedRun(
      { rate, durationS: duration, markets, warmupS, ...mode },
      run,
      `bench:sweep  ${rate.toLocaleString()} trades/s${mode.compression ? ' compressed' : ''}${mode.realtime ? ' real-time' : ''}  run ${run}  ${duration} s`,
    );
  // Runs interleaved (every rate once, then again): slow drifts of the machine's load
  // spread over all rates instead of biasing one. A rate's real-time run comes right after
  // its default one, so that both modes meet the same machine (a VM was seen to slow down
  // for a while after the heaviest points).
  for (let run = 1; run <= runsPer; run++) {
    for (const rate of rates) {
      file.runs.push(await one(rate, run, durationS));
      save();
      if (!realtimeRates.includes(rate)) continue;
      file.realtime?.runs.push(await one(rate, run, durationS, { realtime: true }));
      save();
    }
    for (const rate of realtimeRates.filter((r) => !rates.includes(r))) {
      file.realtime?.runs.push(await one(rate, run, durationS, { realtime: true }));
      save();
    }
  }
  if (file.settings.sustain) {
    for (let run = 1; run <= file.settings.sustain.runs; run++) {
      file.sustained.runs.push(await one(file.settings.sustain.rate, run, file.settings.sustain.duration_s));
      save();
    }
  }
  for (const rate of compressedRates) {
    file.compressed?.runs.push(await one(rate, 1, durationS, { compression: true }));
    save();
  }
  save();
  process.stderr.write('bench:sweep  wrote bench/results/sweep.json, bench/RESULTS.md\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:sweep'));
}
