/**
 * `npm run bench:profile`: one end-to-end run with the collector under `node --cpu-prof`,
 * then a summary of where its CPU went: by component (our parser, collector, Redis client,
 * WebSocket, GC, ...), the top functions by self time, and by inclusive time. The raw
 * .cpuprofile stays in bench/out/ (open it in Chrome DevTools or speedscope); the summary
 * goes to bench/results/profile.json and RESULTS.md.
 *
 * One results file per rate: bench/results/profile-<rate>.json.
 *
 *   npm run bench:profile [-- --rates 10000,100000 --duration 20 --warmup 3 --markets 2]
 */

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  commandLine,
  failed,
  machineInfo,
  nowIso,
  numberFlag,
  OUT_DIR,
  ROOT,
  rateList,
  round,
  scriptFlags,
  writeResult,
} from './common.js';
import { writeReport } from './report.js';
import { type BenchResult, runBench } from './run-bench.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  location: string;
  component: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  /** The part of the profile summarised: the measured window, as offsets from the collector's start (s). */
  window_s: { from: number; to: number } | null;
  total_ms: number;
  /** Time the main thread was busy (everything but (idle)). */
  busy_ms: number;
  components: { component: string; ms: number; pct_of_busy: number }[];
  top_self: ProfileEntry[];
  top_inclusive: ProfileEntry[];
}

/** Which part of the system a frame belongs to, from its script URL. */
export function component(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native (program)';
  if (fn === '(root)') return 'root';
  const u = url.replace(/\\/g, '/');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) {
    const pkg = nm[1]!;
    if (pkg.startsWith('@redis/') || pkg === 'redis') return 'Redis client (node-redis)';
    if (pkg === 'ws') return 'WebSocket (ws)';
    if (pkg === 'hdr-histogram-js') return 'bench latency recorder (hdr)';
    if (pkg === 'prom-client') return 'metrics (prom-client)';
    if (pkg.startsWith('pino') || pkg === 'sonic-boom') return 'logging (pino)';
    return `dependency ${pkg}`;
  }
  const dist = /\/dist\/([^/]+)\//.exec(u);
  if (dist) {
    const area = dist[1]!;
    if (area === 'exchanges') return 'exchange parsing (src/exchanges)';
    return `src/${area}`;
  }
  if (u.startsWith('node:')) return 'Node core (net, streams, events, timers)';
  if (u === '') return 'native (RegExp, string encoding, socket writes)';
  return 'other';
}

const sourceMaps = new Map<string, SourceMap | null>();

/** `src/...ts:line` for a frame in our compiled code (via its source map), else the script URL. */
function location(url: string, line: number, column: number): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(join(ROOT, 'dist'))) {
    let map = sourceMaps.get(path);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
      } catch {
        map = null;
      }
      sourceMaps.set(path, map);
    }
    const e = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (e?.originalSource && e.originalLine !== undefined) {
      const src = e.originalSource.startsWith('file://')
        ? fileURLToPath(e.originalSource)
        : resolve(dirname(path), e.originalSource);
      return `${relative(ROOT, src)}:${e.originalLine + 1}`;
    }
  }
  return `${path.startsWith('/') ? relative(ROOT, path) : path}:${line + 1}`;
}

/**
 * @param window only samples between these offsets from the profile's start (ms) count;
 *   undefined = the whole profile.
 */
export function summariseProfile(
  p: CpuProfile,
  top = 25,
  window?: { fromMs: number; toMs: number },
): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to it.
    t += (p.timeDeltas[i] ?? 0) / 1000;
    if (window && (t < window.fromMs || t > window.toMs)) continue;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: CpuProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}\u0000${n.callFrame.columnNumber}`;
  const selfBy = new Map<string, number>();
  const inclBy = new Map<string, number>();
  const comps = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const k = key(n);
    selfBy.set(k, (selfBy.get(k) ?? 0) + ms);
    const c = component(n.callFrame.url, n.callFrame.functionName);
    if (c === 'idle') idle += ms;
    comps.set(c, (comps.get(c) ?? 0) + ms);
    // Inclusive: count each distinct function once per stack (recursion-safe).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclBy.set(kk, (inclBy.get(kk) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  const entry = ([k, ms]: [string, number]): ProfileEntry => {
    const [fn, url, line, column] = k.split('\u0000') as [string, string, string, string];
    return {
      function: fn,
      location: location(url, Number(line), Number(column)),
      component: component(url, fn),
      ms: round(ms, 1),
      pct: round((ms / busy) * 100, 1),
    };
  };
  const skip = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);
  return {
    window_s: window ? { from: round(window.fromMs / 1000, 2), to: round(window.toMs / 1000, 2) } : null,
    total_ms: round(total, 1),
    busy_ms: round(busy, 1),
    components: [...comps]
      .filter(([c]) => c !== 'idle' && c !== 'root')
      .sort((a, b) => b[1] - a[1])
      .map(([c, ms]) => ({ component: c, ms: round(ms, 1), pct_of_busy: round((ms / busy) * 100, 1) })),
    top_self: [...selfBy]
      .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(entry),
    // Inclusive: our code and dependencies only (Node's stream plumbing is on every stack).
    top_inclusive: [...inclBy]
      .filter(([k]) => !skip.has(k.split('\u0000')[0]!))
      .sort((a, b) => b[1] - a[1])
      .map(entry)
      .filter((e) => e.location.startsWith('src/') || e.location.startsWith('node_modules/'))
      .slice(0, top),
  };
}

export interface ProfileFile {
  kind: 'profile';
  generated_at: string;
  command: string;
  machine: ReturnType<typeof machineInfo>;
  settings: { rate: number; duration_s: number; warmup_s: number; markets: number };
  /** The bench result of the profiled run (profiling costs CPU: latency here is not the sweep's). */
  run: BenchResult;
  profile_file: string;
  summary: ProfileSummary;
}

async function profileOne(rate: number, durationS: number, warmupS: number, markets: number): Promise<void> {
  const machine = machineInfo();
  const dir = join(OUT_DIR, `profile-${rate}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  process.stderr.write(
    `bench:profile  ${rate.toLocaleString()} trades/s for ${durationS} s, collector under --cpu-prof\n`,
  );
  let times: { collectorSpawnMs: number; windowStartMs: number; windowEndMs: number } | undefined;
  const run = await runBench(
    {
      rate,
      durationS,
      warmupS,
      markets,
      collectorNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      onTimes: (t) => {
        times = t;
      },
    },
    (line) => process.stderr.write(`  ${line}\n`),
  ).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (profiles.length !== 1)
    throw new Error(`expected one .cpuprofile in ${dir} (the collector's), found ${profiles.length}`);
  const profilePath = join(dir, profiles[0]!);
  // The profile starts with the collector process (Node's start-up, ~tens of ms, is the
  // error of this alignment); summarise the measured window only.
  const window = times
    ? {
        fromMs: times.windowStartMs - times.collectorSpawnMs,
        toMs: times.windowEndMs - times.collectorSpawnMs,
      }
    : undefined;
  const summary = summariseProfile(JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile, 25, window);
  const file: ProfileFile = {
    kind: 'profile',
    generated_at: nowIso(),
    command: commandLine('bench:profile'),
    machine,
    settings: { rate, duration_s: durationS, warmup_s: warmupS, markets },
    run,
    profile_file: relative(ROOT, profilePath),
    summary,
  };
  process.stderr.write(
    `  achieved ${run.achieved_rate.toLocaleString()}/s, lost ${run.lost}, p99 ${run.latency_ms.p99} ms, collector CPU ${run.collector_cpu_pct}% (waited ${run.collector_cpu_wait_pct}%)\n`,
  );
  for (const c of summary.components.slice(0, 12))
    process.stderr.write(`  ${c.component.padEnd(44)} ${String(c.pct_of_busy).padStart(5)} %\n`);
  const out = writeResult(`profile-${rate}`, file);
  writeReport();
  process.stderr.write(
    `bench:profile  wrote ${relative(ROOT, out)}, ${file.profile_file}, bench/RESULTS.md\n`,
  );
}

async function main(): Promise<void> {
  const flags = scriptFlags({
    usage: 'npm run bench:profile [-- --rates 10000,100000 --duration 20 --warmup 3 --markets 2]',
    values: ['rates', 'rate', 'duration', 'warmup', 'markets'],
  });
  const rates = rateList(flags.get('rates') ?? flags.get('rate') ?? '10000,100000');
  const durationS = numberFlag(flags, 'duration', 20);
  const warmupS = numberFlag(flags, 'warmup', 3);
  const markets = numberFlag(flags, 'markets', 2);
  for (const rate of rates) await profileOne(rate, durationS, warmupS, markets);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch(failed('bench:profile'));
}
