/**
 * Builds bench/RESULTS.md and bench/latency-vs-throughput.svg from the JSON results in
 * bench/results/ (sweep, profile, api, book, peers), so that no number is typed by hand.
 * Every bench script calls it at its end; `npm run bench:report` runs it alone.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiFile } from './api-bench.js';
import type { BookFile } from './book-bench.js';
import { type ChartPoint, findKnee, fmtMs, KEEP_UP_RATIO, KNEE_P99_JUMP, renderChart } from './chart.js';
import { BENCH_DIR, formatWithBiome, type MachineInfo, RESULTS_DIR } from './common.js';
import type { DeflateFile } from './deflate-bench.js';
import type { PeersFile } from './peers-bench.js';
import type { ProfileFile } from './profile.js';
import { REALTIME_PRIORITY } from './scheduling.js';
import {
  type FloorFile,
  floorPoints,
  pointsOf,
  type SweepFile,
  type SweepPoint,
  summarise,
} from './sweep-summary.js';

export const CHART_FILE = 'latency-vs-throughput.svg';
/** Under bench/results/: whole sweeps from other hosts, kept to show how far hosts differ. */
const HOSTS_DIR = 'hosts';

/** The sweep file with its medians recomputed from the raw runs (the summary rules live in one place). */
function loadSweep(): SweepFile | undefined {
  const s = load<SweepFile>('sweep');
  return s && withMedians(s);
}

/** Sweeps kept from other hosts of the same type (bench/results/hosts/*.json), oldest first. */
function loadHostSweeps(): { file: string; sweep: SweepFile }[] {
  const dir = join(RESULTS_DIR, HOSTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      file: `bench/results/${HOSTS_DIR}/${f}`,
      sweep: withMedians(load<SweepFile>(`${HOSTS_DIR}/${f.replace(/\.json$/, '')}`)!),
    }))
    .sort((a, b) => a.sweep.generated_at.localeCompare(b.sweep.generated_at));
}

export function withMedians(s: SweepFile): SweepFile {
  s.points = pointsOf(s.settings.rates, s.runs);
  if (s.compressed) s.compressed.points = pointsOf(s.compressed.rates, s.compressed.runs);
  if (s.realtime) s.realtime.points = pointsOf(s.realtime.rates, s.realtime.runs);
  s.sustained.point = s.settings.sustain ? summarise(s.settings.sustain.rate, s.sustained.runs) : null;
  return s;
}

/** Calibration range over a sweep's runs (ops/s), or undefined for files without it. */
function speedRange(s: SweepFile): [number, number] | undefined {
  const all = [...s.runs, ...(s.realtime?.runs ?? []), ...s.sustained.runs, ...(s.compressed?.runs ?? [])]
    .map((r) => r.calibration_ops_per_s)
    .filter((v): v is number => v !== undefined);
  return all.length ? [Math.min(...all), Math.max(...all)] : undefined;
}

/**
 * The sweep targets judged again on each kept sweep from another host, next to this file's
 * own sweep: the same code and harness, a host of another speed.
 */
export function otherHostsSection(
  main: SweepFile | undefined,
  hosts: readonly { file: string; sweep: SweepFile }[],
): string {
  if (!hosts.length) return '';
  const cols = [...(main ? [{ file: 'bench/results/sweep.json (above)', sweep: main }] : []), ...hosts];
  // Judged by the sweep alone: the ws-inflate ceiling comes from another file.
  const judged = cols.map((c) => sweepTargets(c.sweep, undefined));
  const head = cols.map((c) => {
    const r = speedRange(c.sweep);
    const cpu = c.sweep.machine.cpu ? `${c.sweep.machine.cpu}, ` : '';
    return `${c.file}, ${cpu}${c.sweep.generated_at.slice(0, 16).replace('T', ' ')} UTC, ${r ? `${n(r[0])}-${n(r[1])} ops/s` : 'speed not recorded'}`;
  });
  const rows = judged[0]!.map((row, i) => [
    row.target,
    ...judged.map((j) => {
      const r = j[i]!;
      return `${r.status === 'PASS' ? 'PASS' : `**${r.status}**`}: ${r.measured}`;
    }),
  ]);
  return [
    '## Other hosts',
    '',
    `Whole sweeps (\`npm run bench:sweep\`, same harness) from other hosts of the same 2-core type, kept in \`bench/results/${HOSTS_DIR}/\` (copy a host's \`bench/results/sweep.json\` there to add it) and judged here by the same rules; each column names its file, the host's CPU, when it ran and the machine speed over its runs (\`calibrate()\`, higher is faster). The compressed row uses the nominal 12,000 msgs/s \`ws\` ceiling where no bench:deflate ran on that host.`,
    '',
    table(['target', ...head], rows),
  ].join('\n');
}

function load<T>(name: string): T | undefined {
  const f = join(RESULTS_DIR, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as T) : undefined;
}

const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${x} %` : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? `${x} ms` : 'n/a');

function table(head: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function keptUp(p: SweepPoint): boolean {
  return p.lost_max === 0 && p.achieved_rate >= KEEP_UP_RATIO * p.offered_rate;
}

type Status = 'PASS' | 'FAIL' | 'NOT MEASURED';

interface TargetRow {
  target: string;
  measured: string;
  status: Status;
  note: string;
}

function point(s: SweepFile | undefined, rate: number, realtime = false): SweepPoint | undefined {
  return (realtime ? s?.realtime?.points : s?.points)?.find((p) => p.offered_rate === rate);
}

/** Target rows for the real-time scheduling runs say so in their label. */
const RT_LABEL = ', real-time scheduling';

/** The targets judged on a sweep (and, for the compressed one, bench:deflate's ws ceiling). */
function sweepTargets(s: SweepFile | undefined, deflate: DeflateFile | undefined): TargetRow[] {
  const rows: TargetRow[] = [];
  const quick = s?.quick ? ' (quick run: tooling check only)' : '';
  // 1. Sustained 100k for 60 s, nothing lost.
  const sus = s?.sustained.point;
  const susSet = s?.settings.sustain;
  if (sus && susSet) {
    const ok =
      sus.lost_max === 0 && sus.achieved_rate >= 0.99 * sus.offered_rate && sus.offered_rate >= 100_000;
    const long = susSet.duration_s >= 60;
    rows.push({
      target: '>= 100k trades/s for 60 s, lost 0',
      measured: `offered ${n(sus.offered_rate)}/s for ${susSet.duration_s} s: achieved ${n(sus.achieved_rate)}/s, lost ${n(sus.lost_max)}, p99 ${fmtMs(sus.latency_ms.p99)}`,
      status: long ? (ok ? 'PASS' : 'FAIL') : 'NOT MEASURED',
      note: `${long ? '' : `run was ${susSet.duration_s} s, not 60 s. `}Pass = lost 0 and achieved >= 99 % of offered (the collector kept up to the end)${quick}`,
    });
  } else
    rows.push({
      target: '>= 100k trades/s for 60 s, lost 0',
      measured: '-',
      status: 'NOT MEASURED',
      note: 'no sustained run in bench/results/sweep.json',
    });
  const lat = (rate: number, limit: number, base: string, stretch = false, realtime = false) => {
    const p = point(s, rate, realtime);
    const label = realtime ? `${base}${RT_LABEL}` : base;
    if (!p) {
      rows.push({
        target: label,
        measured: '-',
        status: 'NOT MEASURED',
        note: `no ${n(rate)}/s ${realtime ? 'real-time ' : ''}point in the sweep`,
      });
      return;
    }
    const ok = p.latency_ms.p99 <= limit && keptUp(p);
    rows.push({
      target: label,
      measured: `p99 ${fmtMs(p.latency_ms.p99)} (p50 ${fmtMs(p.latency_ms.p50)}), achieved ${n(p.achieved_rate)}/s, lost ${n(p.lost_max)}`,
      status: ok ? 'PASS' : 'FAIL',
      note: `median of ${p.runs - p.failed_runs} run(s)${realtime ? ' under SCHED_FIFO (`alphapulse bench --realtime`)' : ''}${stretch ? '; stretch goal' : ''}${keptUp(p) ? '' : '; the collector did not keep up'}${quick}`,
    });
  };
  lat(10_000, 1, 'p99 <= 1 ms at 10k trades/s');
  lat(10_000, 1, 'p99 <= 1 ms at 10k trades/s', false, true);
  lat(100_000, 5, 'p99 <= 5 ms at 100k trades/s');
  lat(100_000, 5, 'p99 <= 5 ms at 100k trades/s', false, true);
  {
    const p = point(s, 100_000);
    const values = [
      p?.collector_rss_mb_peak,
      sus && sus.offered_rate === 100_000 ? sus.collector_rss_mb_peak : undefined,
    ];
    const seen = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    rows.push(
      seen.length
        ? {
            target: 'collector RSS <= 150 MB at 100k trades/s',
            measured: [
              p ? `sweep: ${p.collector_rss_mb_peak} MB peak` : '',
              values[1] !== undefined ? `sustained run: ${values[1]} MB peak` : '',
            ]
              .filter(Boolean)
              .join('; '),
            status: Math.max(...seen) <= 150 ? 'PASS' : 'FAIL',
            note: `peak RSS (VmHWM) of the collector process${quick}`,
          }
        : {
            target: 'collector RSS <= 150 MB at 100k trades/s',
            measured: '-',
            status: 'NOT MEASURED',
            note: '',
          },
    );
  }
  for (const realtime of [false, true]) {
    const p = point(s, 10_000, realtime);
    const target = `collector CPU <= 20 % of one core at 10k trades/s${realtime ? RT_LABEL : ''}`;
    rows.push(
      p
        ? {
            target,
            measured: `${p.collector_cpu_pct} % of one core`,
            status: p.collector_cpu_pct <= 20 ? 'PASS' : 'FAIL',
            note: `user + system CPU from /proc over the measured window, median${quick}`,
          }
        : { target, measured: '-', status: 'NOT MEASURED', note: '' },
    );
  }
  lat(150_000, 20, 'stretch: p99 <= 20 ms at 150k trades/s', true);
  lat(150_000, 20, 'stretch: p99 <= 20 ms at 150k trades/s', true, true);
  {
    // "Not capped at ~12k msgs/s": end to end, compressed, well past what ws's own inflate
    // can receive on the same machine (the cap moves with the machine's speed).
    const label = 'stretch: compressed (permessage-deflate) path not capped at ~12k msgs/s';
    const pts = (s?.compressed?.points ?? []).filter((p) => p.lost_max === 0);
    const best = pts.sort((a, b) => b.achieved_rate - a.achieved_rate)[0];
    const wsCap = deflate?.results.find((r) => r.mode === 'ws')?.msgs_per_s;
    const fast = deflate?.results.find((r) => r.mode === 'fast')?.msgs_per_s;
    const cap = wsCap ?? 12_000;
    rows.push(
      best
        ? {
            target: label,
            measured: `end to end compressed: ${n(best.achieved_rate)} trades/s stored with nothing lost (offered ${n(best.offered_rate)}/s)${wsCap && fast ? `; receive path alone: ${n(fast)} msgs/s in line vs ${n(wsCap)} through ws` : ''}`,
            status: best.achieved_rate >= 2 * cap ? 'PASS' : 'FAIL',
            note: `Pass = compressed end-to-end rate with lost 0 at least twice the ws inflate ceiling ${wsCap ? 'measured on the same machine by bench:deflate' : '(12k msgs/s)'}${quick}`,
          }
        : { target: label, measured: '-', status: 'NOT MEASURED', note: 'no compressed runs in the sweep' },
    );
  }
  return rows;
}

/** The API target, judged on bench:api's own file. */
function apiTarget(api: ApiFile | undefined): TargetRow {
  const target = 'API `/trades` >= 10,000 req/s with p99 <= 20 ms while ingesting 10k trades/s';
  const tr = api?.routes.find((r) => r.route.startsWith('/trades/'));
  return tr
    ? {
        target,
        measured: `${n(tr.requests_per_s)} req/s, p99 ${tr.latency_ms.p99} ms, non-2xx ${tr.non2xx}, errors ${tr.errors}`,
        status:
          tr.requests_per_s >= 10_000 && tr.latency_ms.p99 <= 20 && tr.non2xx === 0 && tr.errors === 0
            ? 'PASS'
            : 'FAIL',
        note: `${api!.settings.connections} connections, autocannon in the same 2-core box`,
      }
    : {
        target,
        measured: '-',
        status: 'NOT MEASURED',
        note: api?.error ? `bench:api failed: ${api.error}` : 'no bench/results/api.json',
      };
}

function targets(
  s: SweepFile | undefined,
  api: ApiFile | undefined,
  deflate: DeflateFile | undefined,
): TargetRow[] {
  return [...sweepTargets(s, deflate), apiTarget(api)];
}

function machineSection(
  files: { name: string; machine: MachineInfo; at: string; command: string }[],
): string {
  const m = files[0]?.machine;
  if (!m) return '_No results yet: run the benchmarks below._';
  const rows: string[][] = [
    ['CPU', m.cpu],
    ['cores', String(m.cores)],
    ['memory', `${m.memory_gib} GiB`],
    ['OS', m.os],
    ['Node', m.node],
    ['Redis', m.redis],
  ];
  const other = files.filter(
    (f) => f.machine.cpu !== m.cpu || f.machine.node !== m.node || f.machine.cores !== m.cores,
  );
  let s = table(['', ''], rows);
  if (other.length)
    s += `\n\n**Warning:** ${other.map((f) => f.name).join(', ')} ran on another machine or Node (${other.map((f) => `${f.machine.cpu}, ${f.machine.cores} cores, ${f.machine.node}`).join('; ')}).`;
  s += `\n\nLoad average (1, 5, 15 min) when each benchmark started — anything well above 0 means other work shared the ${m.cores} cores and the numbers are noisy — and the machine's speed then: a fixed JSON-parse-and-allocate workload (\`calibrate()\` in src/bench/common.ts, ops/s, higher is faster). Virtual machines of one type were seen to differ by 3x from day to day and by up to 2x within minutes; compare numbers only between runs of similar speed:\n\n`;
  s += table(
    ['results file', 'run at (UTC)', 'load average', 'machine speed', 'command'],
    files.map((f) => [
      `bench/results/${f.name}.json`,
      f.at,
      f.machine.load_avg.join(', '),
      f.machine.calibration_ops_per_s ? `${n(f.machine.calibration_ops_per_s)} ops/s` : 'not recorded',
      `\`${f.command}\``,
    ]),
  );
  return s;
}

/** One row per rate: medians, loss, latency split, CPU and memory. */
function pointTable(points: readonly SweepPoint[]): string {
  const rows = points.map((p) => [
    n(p.offered_rate),
    n(p.achieved_rate),
    `${p.runs - p.failed_runs}/${p.runs}`,
    n(p.lost_max),
    ms(p.latency_ms.p50),
    ms(p.latency_ms.p90),
    ms(p.latency_ms.p99),
    ms(p.latency_ms.p999),
    ms(p.latency_ms.max),
    ms(p.made_to_received_p99_ms),
    ms(p.received_to_ack_p99_ms),
    pct(p.collector_cpu_pct),
    pct(p.collector_cpu_wait_pct),
    `${p.collector_rss_mb_peak} MB`,
    pct(p.redis_cpu_pct),
    pct(p.simulator_cpu_pct),
    p.load_avg_1m,
  ]);
  return table(
    [
      'offered/s',
      'achieved/s',
      'runs ok',
      'lost',
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
      'p99 made -> received',
      'p99 received -> acked',
      'collector CPU',
      'collector CPU wait',
      'collector RSS',
      'Redis CPU',
      'simulator CPU',
      'load avg',
    ],
    rows,
  );
}

function realtimeSection(s: SweepFile | undefined): string {
  const pts = s?.realtime?.points ?? [];
  if (!pts.length)
    return '_No real-time runs in bench/results/sweep.json (`npm run bench:sweep`, `--realtime-rates`)._';
  return [
    `The same runs with the collector and the private Redis under \`SCHED_FIFO\` priority ${REALTIME_PRIORITY.collector} and the simulator under \`SCHED_FIFO\` ${REALTIME_PRIORITY.simulator} (\`alphapulse bench --realtime\`, set with util-linux \`chrt\`, src/bench/scheduling.ts), interleaved with the default runs above, ${s!.settings.runs} run(s) per rate, medians. A process woken by its socket then preempts time-shared work at once instead of waiting in the run queue behind another process's slice; the simulator, standing in for a remote exchange, preempts ordinary work but yields to the collector and Redis. The policy in effect is read back from \`/proc/<pid>/stat\` for every run (\`scheduling\` in the JSON). In production this is \`CPUSchedulingPolicy=fifo\` in the systemd unit (docs/deployment.md, Latency tuning).`,
    '',
    pointTable(pts),
  ].join('\n');
}

function floorSection(f: FloorFile | undefined): string {
  if (!f) return '_Not run yet: `npm run bench:floor`._';
  const pts = floorPoints(f);
  const st = f.settings;
  return [
    `The collector next to the *floor* (src/bench/floor-loop.ts), run by the same harness in the collector's place: one WebSocket per exchange, \`JSON.parse\` per frame, one auto-pipelined XADD per trade with the contract's fields, and nothing else (no sequencing, dedupe, gap detection, candles, stats, metrics or flow control). What the floor costs is the machine's price for wake-ups, sockets and Redis; what the collector costs above it is its real work. ${st.markets} markets, ${st.runs} run(s) of ${st.duration_s} s per rate, scheduling mode and program after a ${st.warmup_s} s warm-up, interleaved, medians (\`npm run bench:floor\`, ${f.generated_at}):`,
    '',
    table(
      [
        'offered/s',
        'scheduling',
        'program',
        'achieved/s',
        'p50',
        'p90',
        'p99',
        'p99.9',
        'collector CPU',
        'CPU wait',
        'RSS',
        'Redis CPU',
      ],
      pts.map((p) => [
        n(p.offered_rate),
        p.realtime ? 'SCHED_FIFO' : 'default',
        p.program === 'floor' ? 'floor (ws -> JSON.parse -> XADD)' : 'alphapulse collect',
        n(p.achieved_rate),
        ms(p.latency_ms.p50),
        ms(p.latency_ms.p90),
        ms(p.latency_ms.p99),
        ms(p.latency_ms.p999),
        pct(p.collector_cpu_pct),
        pct(p.collector_cpu_wait_pct),
        `${p.collector_rss_mb_peak} MB`,
        pct(p.redis_cpu_pct),
      ]),
    ),
  ].join('\n');
}

function compressedSection(s: SweepFile | undefined, d: DeflateFile | undefined): string {
  const out: string[] = [];
  if (d) {
    out.push(
      `Receive path alone (\`npm run bench:deflate\`, ${d.generated_at}): a worker thread writes ${n(d.settings.messages)} pre-built frames of Coinbase-like \`match\` messages (${d.settings.avg_message_bytes} bytes, ${d.settings.avg_compressed_bytes} bytes compressed with context takeover at zlib's default level) to one \`ws\` client on loopback, which counts them and checks the inflated bytes; median of ${d.settings.passes} interleaved passes.`,
      '',
      table(
        ['receive path', 'messages/s'],
        d.results.map((r) => [r.label, n(r.msgs_per_s)]),
      ),
      '',
      `In-line inflate / \`ws\` inflate: **${d.speedup_vs_ws}x**. \`ws\` hands every message to the libuv thread pool and resumes parsing on the callback, so a compressed connection is capped by that round trip whatever the message size; the collector inflates each message in line on a persistent pako stream (src/core/ws-deflate.ts, same window and context-takeover rules as negotiated, the payload limit enforced while inflating).`,
      '',
    );
  } else out.push('_Receive path not measured yet: `npm run bench:deflate`._', '');
  const pts = s?.compressed?.points ?? [];
  if (pts.length)
    out.push(
      `End to end with compression (\`alphapulse bench --compressed\`: the simulator compresses every message, at level 1 so that it is not the bottleneck; the collector runs with \`WS_COMPRESSION=true\`), one run per rate, same settings as above:`,
      '',
      pointTable(pts),
    );
  else out.push('_No compressed end-to-end runs in bench/results/sweep.json._');
  return out.join('\n');
}

function sweepSection(s: SweepFile | undefined): string {
  if (!s) return '_Not run yet: `npm run bench:sweep`._';
  const out: string[] = [];
  const st = s.settings;
  if (s.quick)
    out.push(
      '> **QUICK RUN** (`--quick`): a tooling check with 2-second points and one run each, not a measurement. Run `npm run bench:sweep` for real numbers.\n',
    );
  if (s.note) out.push(`> Note recorded with this run: ${s.note}\n`);
  out.push(
    `Each point: \`alphapulse bench\` machinery (src/bench/run-bench.ts) at the offered rate, spread evenly over ${st.markets} markets (${st.markets >= 2 ? 'Coinbase and Kraken, BTC-USD' : 'Coinbase BTC-USD'}), ${st.runs} run(s) of ${st.duration_s} s after a ${st.warmup_s} s warm-up, runs interleaved across rates; the table shows the **median** of the runs (lost: the worst run). Latency is per trade, from the simulator's send time to the Redis acknowledgement of the batch holding it.`,
    '',
  );
  out.push(pointTable(s.points));
  const pts: ChartPoint[] = s.points.map((p) => ({
    offered: p.offered_rate,
    achieved: p.achieved_rate,
    p50: p.latency_ms.p50,
    p99: p.latency_ms.p99,
    keptUp: keptUp(p),
  }));
  const knee = findKnee(pts.filter((p) => p.achieved > 0 && p.p50 > 0 && p.p99 > 0));
  out.push(
    '',
    `![latency vs throughput](${CHART_FILE})`,
    '',
    knee
      ? `**Knee: ${n(pts.filter((p) => p.achieved > 0 && p.p50 > 0 && p.p99 > 0)[knee.index]!.achieved)} trades/s** (${knee.reason}). The knee is the highest rate before the first point where the collector falls behind (achieved < ${KEEP_UP_RATIO * 100} % of offered, or any loss) or p99 grows more than ${KNEE_P99_JUMP}x from the previous point.`
      : '**Knee: below the lowest rate measured** (the collector did not keep up even there).',
  );
  const failed = s.runs.filter((r) => r.error);
  if (failed.length) {
    out.push('', 'Failed runs:', '');
    for (const r of failed) out.push(`- ${n(r.offered_rate)}/s run ${r.run}: ${r.error}`);
  }
  out.push(
    '',
    '<details><summary>Every run</summary>',
    '',
    table(
      [
        'offered/s',
        'run',
        'achieved/s',
        'sent',
        'lost',
        'p50',
        'p99',
        'max',
        'made -> received p99',
        'received -> acked p99',
        'collector CPU',
        'CPU wait',
        'RSS',
        'load avg',
        'machine speed',
      ],
      [...s.runs, ...s.sustained.runs, ...(s.compressed?.runs ?? []), ...(s.realtime?.runs ?? [])].map((r) =>
        r.result
          ? [
              `${n(r.offered_rate)}${r.result.compression ? ' (compressed)' : ''}${r.result.scheduling?.realtime ? ' (real-time)' : ''}`,
              r.run,
              n(r.result.achieved_rate),
              n(r.result.sent),
              n(r.result.lost),
              ms(r.result.latency_ms.p50),
              ms(r.result.latency_ms.p99),
              ms(r.result.latency_ms.max),
              r.result.latency_split_ms ? ms(r.result.latency_split_ms.to_receive.p99) : 'n/a',
              r.result.latency_split_ms ? ms(r.result.latency_split_ms.in_collector.p99) : 'n/a',
              pct(r.result.collector_cpu_pct),
              pct(r.result.collector_cpu_wait_pct),
              `${r.result.collector_rss_mb_peak} MB`,
              r.result.load_avg_1m,
              r.calibration_ops_per_s ? n(r.calibration_ops_per_s) : '',
            ]
          : [n(r.offered_rate), r.run, 'failed', '', '', '', '', '', '', '', '', '', '', '', ''],
      ),
    ),
    '',
    '</details>',
  );
  const sus = s.sustained.point;
  if (sus && st.sustain) {
    out.push(
      '',
      `### Sustained: ${n(st.sustain.rate)} trades/s for ${st.sustain.duration_s} s`,
      '',
      table(
        [
          'offered/s',
          'achieved/s',
          'sent',
          'lost',
          'p50',
          'p99',
          'p99.9',
          'max',
          'collector CPU',
          'collector CPU wait',
          'collector RSS',
          'Redis CPU',
        ],
        [
          [
            n(sus.offered_rate),
            n(sus.achieved_rate),
            n(sus.sent_total),
            n(sus.lost_max),
            ms(sus.latency_ms.p50),
            ms(sus.latency_ms.p99),
            ms(sus.latency_ms.p999),
            ms(sus.latency_ms.max),
            pct(sus.collector_cpu_pct),
            pct(sus.collector_cpu_wait_pct),
            `${sus.collector_rss_mb_peak} MB`,
            pct(sus.redis_cpu_pct),
          ],
        ],
      ),
    );
  }
  return out.join('\n');
}

function profileSections(ps: ProfileFile[]): string {
  if (!ps.length) return '_Not run yet: `npm run bench:profile`._';
  return ps.map((p) => `### At ${n(p.settings.rate)} trades/s\n\n${profileSection(p)}`).join('\n\n');
}

function profileSection(p: ProfileFile): string {
  const r = p.run;
  const s = p.summary;
  const busyPct = Math.round((s.busy_ms / s.total_ms) * 1000) / 10;
  const top3 = s.components
    .slice(0, 3)
    .map((c) => `${c.component} ${c.pct_of_busy} %`)
    .join(', ');
  const topFns = s.top_self
    .filter((e) => !e.function.startsWith('('))
    .slice(0, 5)
    .map((e) => `\`${e.function}\` (${e.component}, ${e.pct} %)`)
    .join(', ');
  const out = [
    `One run at ${n(p.settings.rate)} trades/s for ${p.settings.duration_s} s with the collector under \`node --cpu-prof\` (\`${p.command}\`, ${p.generated_at}; profile: \`${p.profile_file}\`, git-ignored). Profiling slows the collector a little, so this run's own numbers are: achieved ${n(r.achieved_rate)}/s, lost ${n(r.lost)}, p50 ${fmtMs(r.latency_ms.p50)}, p99 ${fmtMs(r.latency_ms.p99)}, collector CPU ${r.collector_cpu_pct} % of one core, RSS ${r.collector_rss_mb_peak} MB, load average ${r.load_avg_1m}.`,
    '',
    `${s.window_s ? `Summarised over the measured window only (${s.window_s.from}-${s.window_s.to} s after the collector started; warm-up and drain left out)` : 'Summarised over the whole process life'}: the collector's main thread was busy ${busyPct} % of that time. Largest components: ${top3}. Top functions by self time: ${topFns}.`,
    '',
    (r.collector_cpu_wait_pct ?? 0) > 10
      ? `The collector's thread was runnable but waiting for a CPU ${r.collector_cpu_wait_pct} % of the window (other processes on the ${p.machine.cores} cores; Redis used ${r.redis_cpu_pct} %, the simulator ${r.simulator_cpu_pct} % of a core): this run's latency and rate reflect an oversubscribed machine. The split below is still the distribution of the collector's own work.`
      : r.collector_cpu_pct < 85 && r.achieved_rate < 0.97 * r.offered_rate
        ? `The collector fell behind while using only ${r.collector_cpu_pct} % of a core and rarely waiting for a CPU: it was waiting on I/O — with one batch in flight per market and at most BUFFER_SIZE trades a batch, a market's throughput is bounded by BUFFER_SIZE / (Redis round trip + script time).`
        : r.collector_cpu_pct >= 85
          ? `The collector's thread was near saturation (${r.collector_cpu_pct} % of a core): the components below are where its time goes.`
          : `The collector kept up, using ${r.collector_cpu_pct} % of a core.`,
    r.latency_split_ms
      ? `Latency split at the frame receive time: trade made -> received p50 ${fmtMs(r.latency_split_ms.to_receive.p50)} / p99 ${fmtMs(r.latency_split_ms.to_receive.p99)}; received -> Redis ack p50 ${fmtMs(r.latency_split_ms.in_collector.p50)} / p99 ${fmtMs(r.latency_split_ms.in_collector.p99)}.`
      : '',
    '',
    "By component (self time, % of busy time). The native row is native code called from JavaScript plus what V8's sampler could not attribute to it: at low rates mostly the kernel side of waking up and of socket writes, attributed to `writev` (`perf` put the kernel's writev near 11 % of the collector's samples at 10,000 trades/s on an AMD host, and 28-31 % of them in the kernel in all on every host measured).",
    '',
    table(
      ['component', 'ms', '% of busy'],
      s.components.slice(0, 14).map((c) => [c.component, n(c.ms), c.pct_of_busy]),
    ),
    '',
    'Top functions by self time:',
    '',
    table(
      ['function', 'where', 'component', '% of busy'],
      s.top_self.slice(0, 20).map((e) => [`\`${e.function}\``, `\`${e.location}\``, e.component, e.pct]),
    ),
    '',
    'Top functions by inclusive time (self + callees):',
    '',
    table(
      ['function', 'where', '% of busy'],
      s.top_inclusive.slice(0, 15).map((e) => [`\`${e.function}\``, `\`${e.location}\``, e.pct]),
    ),
  ];
  return out.join('\n');
}

function apiSection(a: ApiFile | undefined): string {
  if (!a) return '_Not run yet: `npm run bench:api`._';
  const st = a.settings;
  const out = [
    `\`alphapulse serve\` as its own process against the Redis that a running collector fills at ${n(st.ingest_rate)} trades/s from the simulator (2 markets, order books at depth 25 with 20 book changes/s a market). autocannon (programmatic, in the benchmark process, on the same 2 cores) loads one route at a time: ${st.warmup_s} s unrecorded warm-up, then ${st.duration_s} s measured, ${st.connections} connections, pipelining ${st.pipelining}. autocannon's latency resolution is 1 ms.`,
    '',
  ];
  if (a.error) out.push(`**The run failed:** ${a.error}`, '');
  if (a.routes.length)
    out.push(
      table(
        [
          'route',
          'req/s',
          'p50',
          'p90',
          'p99',
          'p99.9',
          'max',
          'non-2xx',
          'errors',
          'server CPU',
          'server RSS',
          'answer bytes',
        ],
        a.routes.map((r) => [
          `\`GET ${r.route}\``,
          n(r.requests_per_s),
          ms(r.latency_ms.p50),
          ms(r.latency_ms.p90),
          ms(r.latency_ms.p99),
          ms(r.latency_ms.p999),
          ms(r.latency_ms.max),
          r.non2xx,
          r.errors,
          pct(r.server_cpu_pct),
          `${r.server_rss_mb} MB`,
          n(r.body_bytes),
        ]),
      ),
    );
  const c = a.collector;
  if (c)
    out.push(
      '',
      `The collector meanwhile (whole API phase): offered ${n(c.offered_rate)}/s, achieved ${n(c.achieved_rate)}/s, sent ${n(c.sent)}, lost ${n(c.lost)}, latency p50 ${fmtMs(c.latency_ms.p50)} / p99 ${fmtMs(c.latency_ms.p99)} / max ${fmtMs(c.latency_ms.max)}, collector CPU ${c.collector_cpu_pct} %, Redis CPU ${c.redis_cpu_pct} %.`,
    );
  return out.join('\n');
}

function bookSection(b: BookFile | undefined): string {
  if (!b) return '_Not run yet: `npm run bench:book`._';
  const st = b.settings;
  return [
    `\`OrderBook\` (src/book/order-book.ts: a B+ tree per side keyed by canonical decimal text) with ${n(st.levels_per_side)} levels a side. Update mix as generated: ${st.mix_pct.change} % size changes, ${st.mix_pct.insert} % new levels, ${st.mix_pct.delete} % deletions; the distance from the touch of the level changed is exponential with a mean of ${st.mean_distance_from_touch_levels} levels; one level per update (as Coinbase \`l2update\` mostly sends); prices like \`43210.50\`. ${n(st.updates_per_pass)} updates a pass, generated before timing; median of ${st.passes} passes (interleaved across scenarios). After a pass the book still had ${n(b.final_levels.bids)} bids and ${n(b.final_levels.asks)} asks.`,
    '',
    table(
      ['scenario', 'updates/s', 'ns/update', 'passes (updates/s)'],
      b.scenarios.map((s) => [
        s.name,
        n(s.updates_per_s),
        n(1e9 / s.updates_per_s),
        s.passes.map((x) => n(x)).join(', '),
      ]),
    ),
    '',
    b.scenarios.map((s) => `- **${s.name}**: ${s.description}.`).join('\n'),
  ].join('\n');
}

function peersSection(p: PeersFile | undefined): string {
  if (!p) return '_Not run yet: `npm run bench:peers`._';
  const st = p.settings;
  const out = [
    `Versions: ccxt ${p.versions.ccxt}, tardis-dev ${p.versions['tardis-dev']} (dev dependencies, pinned by package-lock.json).`,
    '',
    '### Parse + normalise, same messages, one process',
    '',
    `${n(st.messages)} messages per exchange generated in memory from the shapes of \`${p.fixtures.coinbase}\` (a recorded Coinbase \`match\`), \`${p.fixtures.krakenV2}\` (the Kraken v2 \`trade\` example, sent as one-trade \`update\`s with numbers as JSON numbers, as Kraken does) and \`${p.fixtures.krakenV1}\` (a recorded Kraken v1 \`trade\` array, carrying the same trades for tardis-dev). Every path starts from the frame text, so \`JSON.parse\` is included for all. Median of ${st.rounds} rounds of ${st.round_ms} ms, paths interleaved. The agreement column checks the first message's id, price, size, **taker** side and time (ms) against the generated trade.`,
    '',
    table(
      ['exchange', 'parser', 'input', 'messages/s', 'ours / this', 'agrees'],
      p.parse.map((r) => [
        r.exchange,
        r.library,
        r.input,
        n(r.messages_per_s),
        r.name === 'ours' ? '1 (ours)' : `**${r.ratio_ours_over_this}x**`,
        r.agrees ? 'yes' : `no: ${r.disagreement}`,
      ]),
    ),
    '',
    'What each produces: ours keeps prices and sizes as the exact decimal text and times as integer µs, validates every field (rejects and counts bad ones), and maps to the canonical symbol; tardis-dev turns prices and sizes into JS numbers and does no validation; ccxt builds its unified trade (numbers, ms timestamps, `info` with the raw message, fee and cost fields) and appends it to its per-symbol cache (default options: a 1000-trade cache, full in steady state as in a long-running feed). tardis-dev 13 has **no Kraken v2 mapper** (`normalizeTrades("kraken")` handles the v1 array format only, and v1 has no trade id), so its Kraken row parses the v1 form of the same trades.',
    '',
    '### End to end: ccxt pro `watchTrades` against the local simulator',
    '',
  ];
  if (p.e2e_skipped) out.push(`Skipped: ${p.e2e_skipped}.`);
  else {
    out.push(
      `\`alphapulse simulate\` as its own process, one market (BTC-USD) on one exchange, at the offered rate for ${st.e2e_duration_s} s after ${st.e2e_warmup_s} s warm-up. In the benchmark process, one client at a time: **ours** = a \`ws\` client sending our adapter's subscribe messages and running our parser on every frame (no store: the same work as ccxt, which keeps trades in memory), and **ccxt pro** with its WebSocket URL pointed at the simulator (\`urls.api.ws\` for coinbaseexchange, \`urls.api.ws.publicV2\` for kraken), markets set offline with \`setMarkets\`, \`await exchange.loadHttpProxyAgent()\` first (ccxt refuses \`ws://\` URLs without it), ccxt's default options (its \`watchTrades\` copies its 1000-trade cache on every call; a bigger cache only slows it); a hook on its trade handler counts what it parsed, so trades its cache dropped between two calls show. The simulator never drops a slow client: it lags, so a client that cannot keep up receives at its own maximum rate and needs time to catch up after the simulator stops.`,
      '',
      table(
        [
          'exchange',
          'client',
          'offered/s',
          'received/s',
          'catch-up after end',
          'client CPU',
          'dropped by ccxt cache',
          'ours / this',
        ],
        p.e2e.map((r) => {
          const ours = p.e2e.find(
            (x) =>
              x.exchange === r.exchange && x.offered_rate === r.offered_rate && x.client.startsWith('ours'),
          );
          return [
            r.exchange,
            r.client,
            n(r.offered_rate),
            r.error ? `error: ${r.error}` : n(r.received_rate),
            r.catch_up_s < 0 ? 'did not catch up in 15 s' : `${r.catch_up_s} s`,
            pct(r.client_cpu_pct),
            r.dropped_by_cache === undefined ? '-' : n(r.dropped_by_cache),
            r.client.startsWith('ours')
              ? '1 (ours)'
              : ours && r.received_rate > 0
                ? `${Math.round((ours.received_rate / r.received_rate) * 100) / 100}x received, ${r.client_cpu_pct > 0 ? Math.round((ours.client_cpu_pct / r.client_cpu_pct) * 100) / 100 : 'n/a'}x CPU`
                : 'n/a',
          ];
        }),
      ),
      '',
      'When both keep up, received/s equals the offered rate and the difference shows in CPU (the ratio of CPU is then the meaningful one: below 1 means ours needs less CPU for the same stream). For reference, the full collector (parse + sequence + batch + write to Redis) is in the sweep above.',
    );
  }
  return out.join('\n');
}

/**
 * What the benchmarks and profiling found: the margins, other hosts, the fixes (written from
 * the investigation; the numbers it quotes come from the results files and commits it names).
 */
const RESULTS_ANALYSIS = [
  '### Reading these results: the margins, other hosts, what was fixed',
  '',
  "- **This host.** A 2-core VM (Intel Xeon) whose speed held between 1,230,000 and 1,350,000 calibration ops/s over the sweep (machine-speed column of the run table), the fastest of the hosts measured so far. Hosts of the same type differ a lot: the sweep that stood here before, from an AMD EPYC host earlier the same day (660,000-1,150,000 ops/s), and one from a half-speed AMD host (384,000-835,000 ops/s) are judged side by side with this one under Other hosts below: the same code fails six and eight of the sweep's targets there. All numbers in this section are from this host unless they say otherwise.",
  '- **What passes with room.** 100,000 trades/s for 60 s with nothing lost (99,997/s stored, p99 4.2 ms, 33 % of a core, RSS 124 MB); 10,000 trades/s at 15.8 % of a core (15.8-18.4 over three runs); p99 3.6 ms at 100,000 trades/s (3.2-3.8) and 5.8 ms at 150,000 (5.6-9.1); 200,000 trades/s stored as offered in all three runs (p99 15-51 ms); collector RSS at most 140 MB at any rate (179 MB in the compressed run that fell behind); `/trades` 14,916 req/s at p99 3 ms while 10,000 trades/s are ingested; compressed streams 79,564 trades/s end to end; nothing lost anywhere. Under real-time scheduling: p99 0.88 ms at 10,000 trades/s, 2.0 ms at 100,000 and 2.9 ms at 150,000.',
  "- **At the edge: p99 at 10,000 trades/s with default scheduling.** This sweep's median passes (0.97 ms; 0.84, 0.97 and 1.25 in three runs), but not reliably: the same host's sweep an hour earlier failed it (1.11 ms; 1.03-1.40, before the Redis script change below, which left p99 unchanged in interleaved runs; `git show ea4da1c:bench/RESULTS.md`), and over all 20 default-scheduling runs at this rate on this host that day (sweeps, `bench:floor`, by hand) 5 were under 1 ms and the median was 1.10 ms. p50 is 0.32 ms; the tail is time in the run queue. The benchmark reads how long the collector's main thread was runnable but had no core (`/proc/<pid>/schedstat`): 8-9 % of the window at 10,000 trades/s, about half as long as it ran, although on average one of the two cores is free: a woken process waits for the simulator, Redis or one of V8's helper threads to leave a core. The cost is per wake-up, not per trade: the wait share is 4.4 % already at 1,000 trades/s, 10 % at 50,000, and 3.4-3.8 % at 100,000, where the collector is busy enough to find more work queued when it wakes. Both halves of the latency split carry it: made -> received p99 0.38 ms against p50 0.09 ms, received -> acked p99 0.55 ms against p50 0.22 ms (p50s from the profile run). Under `SCHED_FIFO` (`alphapulse bench --realtime`: the collector and Redis at priority 10, the simulator at 5, so a woken collector or Redis preempts at once) the wait is 0-0.1 % and p99 at 10,000 trades/s was 0.72-0.91 ms in 13 of 14 runs that day (1.06 in one). The bare pipeline does no better: in the same harness a ws -> JSON.parse -> XADD loop (`npm run bench:floor`: no sequencing, dedupe, candles, stats or metrics) has p99 0.98-1.32 ms at 10,000 trades/s with default scheduling against the collector's 0.87-1.05 ms in interleaved runs (0.92-0.99 and 0.73-0.81 ms under SCHED_FIFO). In production the exchange is on another machine, and the latency setting is `CPUSchedulingPolicy=fifo` (docs/deployment.md, Latency tuning).",
  "- **Scheduling alternatives measured and not kept** (on the AMD hosts, where the waits were larger). Pinning: collector and Redis on one core, simulator on the other, p99 2.9 ms at 10,000; the collector alone on one core, 2.1 ms (its wait fell to 1.3 %, but Redis then waited behind the simulator). `nice -10` on every thread of the collector and Redis cut their run-queue wait at 10,000 trades/s (5-10 % -> 4-5 %) without lowering p99 (3.1-3.4 ms against 2.1-4.8 ms, four pairs); adding a 0.1 ms EEVDF slice (`sched_setattr`, Linux 6.12+) took the wait to 2-4 % and p99 to 1.7-2.2 ms against 2.1-2.7 ms, within that host's noise, and no standard tool sets that slice (Debian's `chrt` only for SCHED_DEADLINE, systemd not at all). Redis over a Unix socket instead of loopback TCP (collector CPU 1 point lower at 10,000, p99 unchanged; the contract's `REDIS_URL` is `redis://` or `rediss://`), ingesting both markets of a tick in one call, a 2 MB young generation, single-threaded GC, renicing the simulator, `BUFFER_SIZE` 250 instead of 1,000 and two batches in flight per market instead of coalescing behind the one in flight: no effect above run-to-run noise. `BATCH_TIMEOUT_MS` trades latency for fewer wake-ups (the contract's default 0 is lowest latency).",
  "- **Redis's ingest script (this round).** Measured alone (`INFO commandstats`, one-trade batches sent one at a time, as at low rates), a call cost 20-21 µs, 9 of them the candle merge: exact decimal compare and add, digit by digit in Lua. Plain decimals of at most 15 digits now compare as doubles and add as scaled integers (both exact there; longer values keep the digit path; tested against the TypeScript decimals on both sides of the bound), and the market stats take one HSET instead of three writes: 17-18 µs a call. In interleaved runs at 10,000 trades/s Redis used 11.0-11.7 % of a core against 12.0-12.3 %, p99 unchanged.",
  "- **Where the CPU goes at 10,000 trades/s.** 15.8 % of a core against the bare loop's 12.3-14.3 %: the collector's real work (sequencing, dedupe, candles, stats, metrics, flow control) costs 2-3 points of a core at this rate. Most of the rest is waking up: at 1,000 trades/s the collector already uses 10 % of a core, and `perf` puts 28-31 % of its samples in the kernel (switching tasks, `epoll`, the loopback TCP send that also delivers to Redis). A 30-line Node loop (timer, one socket write to Redis, read the reply) cost 60 µs of CPU per round on the AMD host (`/proc/self/schedstat`), and the collector wakes about 2,200 times/s at 10,000 trades/s (each simulator tick's frames, then Redis's reply to that tick's batch). The same code used 22.5 % of a core on the AMD host and 28 % on the half-speed one.",
  "- **100,000 trades/s and up.** p50 0.93 ms: Redis works through both markets' batches inside the ingest script, 4.1-4.5 µs per trade measured alone on the AMD host (`INFO commandstats` over 100-trade batches): 2.7 µs the XADD of eight fields the contract fixes, 1.4 µs reading the packed batch in Lua; trimming once per batch instead of `MAXLEN ~` on each XADD made no difference. Redis uses 33 % of a core here, as much as the collector (32 %); at 200,000 trades/s Redis 58 %, the collector 50 %, the simulator 25 %. The bare loop of `npm run bench:floor` (one XADD per trade, no batching, no flow control) holds 100,000 trades/s on this host but at 69-81 % of a core, RSS 215-252 MB and p99 19-125 ms, against the collector's 32-33 %, 119-121 MB and 3.2-3.6 ms in the same runs (on the AMD host it could not hold the rate at all). With default scheduling the tail follows run-queue waits: while the collector or Redis waits for a core, batches grow toward 1,000 trades and the backlog takes milliseconds to drain; under SCHED_FIFO p99 is 2.0 ms at 100,000 and 2.7-2.9 ms at 150,000.",
  "- **String method calls compiled as generic lookups (fixed, found on the AMD host).** `perf` on the collector showed V8's `LoadIC` builtin at 16-19 % of its CPU at 100,000 trades/s (5 % at 10,000), called from the optimised parsers for `text.startsWith` and `text.charCodeAt`. node-redis declares `class VerbatimString extends String`; that leaves String.prototype in dictionary mode, and V8 makes it fast again only when a property store goes through it, which never happens unless a RESP3 verbatim string arrives. TurboFan then cannot resolve string methods when it compiles. One store through String.prototype after the client loads fixes it (src/core/v8-tuning.ts, tested with V8's own `%HasFastProperties`): collector CPU at 100,000 trades/s 52 % -> 36-43 %, p99 there 14.5 -> 9.6 ms (sweep median) and 25.6 -> 5.7 ms over 60 s.",
  "- **Memory: V8 pretenuring (fixed).** The old generation grew by about 10 MB/s at 100,000 trades/s although scavenges promoted only 0.3 MB each: V8 had pretenured the parsers' allocation sites after trades survived young collections during a backlog, so every trade afterwards was allocated in the old space and died there (RSS 158-181 MB). Pretenuring is turned off at start (src/core/v8-tuning.ts): old space stays near 25 MB, RSS 113-140 MB at every rate up to 200,000 trades/s.",
  "- **`/trades` (fixed).** The latest-trades cache re-read the whole 100-trade tail whenever the market's stats moved, about once per simulator tick per market. It now reads only the entries after the newest one it holds and appends them (a full re-read when more than the tail is new, a deeper limit is asked for, the stats went backwards, or every 5 s): 5,959 -> 7,800-11,300 req/s on the AMD host, 14,916 here.",
  "- **The benchmark measuring itself (fixed).** The latency recorder (benchmark runs only) called HDR's `recordValue` per trade, about 3 % of the collector's CPU at 100,000 trades/s; it now counts per-µs latencies in a flat array and builds the same HDR histogram at report time.",
  '- **Compressed feeds.** `ws` inflates every message through the libuv thread pool, capping a compressed connection near 15,000 messages/s here; the collector inflates in line (src/core/ws-deflate.ts), 14.8x faster on the receive path (`npm run bench:deflate`). End to end, 79,564 trades/s with nothing lost at 100,000 offered; the simulator, which deflates every message with `ws`, is the limit (a full core there).',
  "- **Earlier rounds.** Batches pipelined under backlog (up to four per market, each refused by Redis unless the one before it is stored); the simulator writing a tick's frames as one buffer; reading paused at 16,000 waiting trades; in-line parsing of Coinbase `match` and Kraken `trade` frames; batches packed into one Buffer argument; exact decimal sums without BigInt in the common case; allocation-free latency histograms.",
  "- **What would go further.** Redis does as much of the machine's work as the collector, and the rest goes to the exchange stand-in. Measuring the collector alone needs the simulator on another machine, as the exchanges are in production.",
];

export function buildReport(): { md: string; svg: string | undefined } {
  const sweep = loadSweep();
  const hostSweeps = loadHostSweeps();
  const profiles = (existsSync(RESULTS_DIR) ? readdirSync(RESULTS_DIR, { withFileTypes: true }) : [])
    .filter((f) => f.isFile() && /^profile-\d+\.json$/.test(f.name))
    .map((f) => load<ProfileFile>(f.name.replace(/\.json$/, ''))!)
    .sort((a, b) => a.settings.rate - b.settings.rate);
  const api = load<ApiFile>('api');
  const book = load<BookFile>('book');
  const peers = load<PeersFile>('peers');
  const deflate = load<DeflateFile>('deflate');
  const floor = load<FloorFile>('floor');
  const files = [
    sweep && { name: 'sweep', machine: sweep.machine, at: sweep.generated_at, command: sweep.command },
    ...profiles.map((p) => ({
      name: `profile-${p.settings.rate}`,
      machine: p.machine,
      at: p.generated_at,
      command: p.command,
    })),
    api && { name: 'api', machine: api.machine, at: api.generated_at, command: api.command },
    book && { name: 'book', machine: book.machine, at: book.generated_at, command: book.command },
    peers && { name: 'peers', machine: peers.machine, at: peers.generated_at, command: peers.command },
    floor && { name: 'floor', machine: floor.machine, at: floor.generated_at, command: floor.command },
    deflate && {
      name: 'deflate',
      machine: deflate.machine,
      at: deflate.generated_at,
      command: deflate.command,
    },
  ].filter((f): f is { name: string; machine: MachineInfo; at: string; command: string } => !!f);
  const sweepWait = sweep ? Math.max(0, ...sweep.points.map((p) => p.collector_cpu_wait_pct ?? 0)) : 0;
  const noisy = files.filter(
    // Load above half the cores at the start (a previous benchmark's own processes count
    // too), or a collector that waited for a CPU more than 10 % of a sweep window.
    (f) => (f.machine.load_avg[0] ?? 0) > f.machine.cores / 2 || (f.name === 'sweep' && sweepWait > 10),
  );
  const rows = targets(sweep, api, deflate);
  const md: string[] = [
    '# AlphaPulse benchmark results',
    '',
    '> Generated from the JSON files in `bench/results/` by `npm run bench:report` (each bench script also regenerates it). Do not edit by hand: re-run the benchmarks.',
    '',
  ];
  if (noisy.length)
    md.push(
      `> **Noisy machine:** ${noisy.map((f) => `${f.name} (load ${f.machine.load_avg[0]} at start${f.name === 'sweep' ? `; collector CPU wait up to ${sweepWait} % of a window` : ''})`).join(', ')}: the ${files[0]!.machine.cores} cores were busy when it started (the load average also counts the previous run's own processes, which is how back-to-back runs start) or the collector waited for a core. Treat those numbers as pessimistic and re-run on a quiet machine before drawing conclusions.`,
      '',
    );
  md.push(
    '## Targets',
    '',
    table(
      ['target', 'measured', 'result', 'how judged'],
      rows.map((r) => [r.target, r.measured, r.status === 'PASS' ? 'PASS' : `**${r.status}**`, r.note]),
    ),
    '',
    rows.some((r) => r.status === 'FAIL')
      ? 'Failed targets are failures: see the collector profile section for where the time goes, and the analysis below.'
      : '',
    '',
    ...RESULTS_ANALYSIS,
    '',
    otherHostsSection(sweep, hostSweeps),
    '',
    '## Machine',
    '',
    machineSection(files),
    '',
    '## How to reproduce',
    '',
    'Needs `redis-server` on the PATH (each run starts a private one on a free port; `REDIS_URL` is ignored by the sweep), `chrt` (util-linux) and CAP_SYS_NICE (e.g. root) for the real-time points, and, for the peers benchmark, the fixtures in `../shared/fixtures` (or `--fixtures <dir>`).',
    '',
    '```sh',
    'npm ci',
    'npm run bench:sweep     # 1k..200k trades/s x 3 runs x 20 s, 10k/100k/150k again under SCHED_FIFO, 100k/s for 60 s, 10k/50k/100k compressed (15-20 min); --quick = 2 s points',
    'npm run bench:profile   # 10k and 100k trades/s, 20 s each, collector under --cpu-prof; summary here, profiles in bench/out/',
    'npm run bench:floor     # the collector next to a bare ws -> JSON.parse -> XADD loop: 10k and 100k trades/s, 10k under SCHED_FIFO, 3 runs each',
    'npm run bench:api       # autocannon on /trades, /ohlcv, /orderbook while the collector ingests 10k trades/s',
    'npm run bench:book      # order-book engine updates/s, 1000 levels a side',
    'npm run bench:peers     # ours vs tardis-dev vs ccxt: parse+normalise, then ccxt pro watchTrades end to end',
    "npm run bench:deflate   # compressed receive path: in-line inflate vs ws's thread-pool inflate vs plain",
    'npm run bench:report    # rebuild this file and the chart from bench/results/*.json',
    'node bin/alphapulse.js bench --rate 100000 --duration 60   # one end-to-end point by hand',
    'node bin/alphapulse.js bench --rate 10000 --duration 20 --realtime   # the same under SCHED_FIFO (root or CAP_SYS_NICE)',
    '```',
    '',
    'Each script builds first (`npm run build`) and runs the compiled code in `dist/bench/`. The exact command behind each results file is in the machine table above.',
    '',
    '## 1. End to end: simulator -> collector -> Redis',
    '',
    sweepSection(sweep),
    '',
    '### Real-time scheduling (SCHED_FIFO)',
    '',
    realtimeSection(sweep),
    '',
    '### The floor: the bare pipeline on this machine',
    '',
    floorSection(floor),
    '',
    '### Compressed feeds (permessage-deflate)',
    '',
    compressedSection(sweep, deflate),
    '',
    '## 2. Collector CPU profile (where the time goes)',
    '',
    profileSections(profiles),
    '',
    '## 3. HTTP API under ingest load',
    '',
    apiSection(api),
    '',
    '## 4. Order-book engine',
    '',
    bookSection(book),
    '',
    '## 5. Peers: tardis-dev and ccxt',
    '',
    peersSection(peers),
    '',
    '## Method',
    '',
    "- **Processes.** Redis (a private `redis-server`, no persistence), `alphapulse simulate` and `alphapulse collect` are separate processes, as in production; the benchmark process only watches. All share the machine's cores, so Redis and simulator CPU are reported next to the collector's. The simulator runs with `--max-semi-space-size=64` (`SIMULATOR_NODE_ARGS` in src/bench/run-bench.ts: its short-lived frame strings cost it half the garbage-collection time that way); the collector with Node's defaults plus what every `alphapulse` command sets at start (allocation-site pretenuring off, src/core/v8-tuning.ts).",
    "- **Start and warm-up.** The simulator starts first and makes trades from its first second; the collector then starts, connects and subscribes (it receives from that moment on, like a collector joining a live exchange). The first warm-up seconds of the simulator's clock are excluded from latency, rate and CPU figures; loss is counted over the whole run.",
    "- **Sent, stored, lost.** Sent = every trade the simulator made from the first one the collector stored to the last one it made (ids are consecutive; the simulator's truth file gives the last id); stored = entries in the Redis streams (`STREAM_MAXLEN` is raised for the run so nothing is trimmed); lost = sent - stored.",
    '- **Latency.** Per trade: the simulator stamps each trade with the time it is made and sent; the collector records ack time - trade time in an HDR histogram for every trade of every acknowledged Redis batch (src/bench/latency-recorder.ts, enabled only by `ALPHAPULSE_LATENCY_FILE`). Both processes read the same host clock.',
    "- **Achieved rate.** Trades made in the measured window / time from the window's start until the last of them was acknowledged: the offered rate when the collector keeps up, lower when it falls behind.",
    "- **CPU and memory.** Collector and simulator CPU from `/proc/<pid>/stat` (user + system) over the measured window, as % of one core; Redis CPU from `INFO cpu`; collector RSS is the peak (`VmHWM`). **CPU wait** is the share of the window the collector's main thread was runnable but had no CPU (`/proc/<pid>/schedstat`): near 0 on a quiet machine; tens of % mean other work took the cores and the latency numbers are the machine's, not the collector's.",
    "- **Latency split.** Each trade also carries the collector's frame receive time: *made -> received* is simulator send lag + socket buffers + waiting for the collector's event loop; *received -> acked* is parse, sequencing, batching and the Redis round trip.",
    '- **Clocks.** The simulator stamps each trade with `nowUs()` and the collector acknowledges with `nowUs()`; both anchor `performance.now()` to `performance.timeOrigin` (µs-precise), so two processes on one host agree to the microsecond and sub-millisecond latencies are real.',
    '- **ws native add-on.** A dev install has `bufferutil` (pulled in by ccxt) which `ws` would load; production installs do not, so the benchmarks set `WS_NO_BUFFER_UTIL=1` for the processes they start.',
    '- **CI** runs only a smoke test (`test/bench/bench-smoke.test.ts`: `alphapulse bench --rate 5000 --duration 5`, asserting lost = 0 and sent > 0), never timing thresholds.',
    '',
  );
  let svg: string | undefined;
  if (sweep?.points.length) {
    svg = renderChart(
      sweep.points.map((p) => ({
        offered: p.offered_rate,
        achieved: p.achieved_rate,
        p50: p.latency_ms.p50,
        p99: p.latency_ms.p99,
        keptUp: keptUp(p),
      })),
      {
        title: 'AlphaPulse collector: latency vs throughput (simulator -> collector -> Redis)',
        subtitle: `${sweep.quick ? 'QUICK tooling run — ' : ''}median of ${sweep.settings.runs} run(s) x ${sweep.settings.duration_s} s per point; ${sweep.machine.cpu}, ${sweep.machine.cores} cores, Node ${sweep.machine.node}; ${sweep.generated_at}`,
        compare: sweep.realtime?.points.length
          ? {
              label: 'collector and Redis under SCHED_FIFO',
              points: sweep.realtime.points.map((p) => ({
                offered: p.offered_rate,
                achieved: p.achieved_rate,
                p50: p.latency_ms.p50,
                p99: p.latency_ms.p99,
                keptUp: keptUp(p),
              })),
            }
          : undefined,
        targets: [
          { rate: 10_000, p99Ms: 1, label: 'p99 <= 1 ms @ 10k' },
          { rate: 100_000, p99Ms: 5, label: 'p99 <= 5 ms @ 100k' },
          { rate: 150_000, p99Ms: 20, label: 'stretch: 20 ms @ 150k' },
        ],
      },
    );
  }
  return { md: `${md.join('\n').replace(/\n{3,}/g, '\n\n')}`, svg };
}

export function writeReport(): void {
  const { md, svg } = buildReport();
  const mdFile = join(BENCH_DIR, 'RESULTS.md');
  writeFileSync(mdFile, md.endsWith('\n') ? md : `${md}\n`);
  if (svg) writeFileSync(join(BENCH_DIR, CHART_FILE), svg);
  formatWithBiome(mdFile, ...(svg ? [join(BENCH_DIR, CHART_FILE)] : []));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeReport();
  process.stderr.write('bench:report  wrote bench/RESULTS.md\n');
}
