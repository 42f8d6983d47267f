/** Shared by the benchmark scripts: result paths, machine description, statistics, arguments. */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription } from './proc-stats.js';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_DIR = join(ROOT, 'bench');
/** Generated JSON results, one file per benchmark (committed; RESULTS.md is built from them). */
export const RESULTS_DIR = join(BENCH_DIR, 'results');
/** Large artefacts (CPU profiles): git-ignored. */
export const OUT_DIR = join(BENCH_DIR, 'out');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_gib: number;
  node: string;
  redis: string;
  os: string;
  /** 1, 5 and 15-minute load averages when the benchmark started: > 0.5 means other work was running. */
  load_avg: number[];
  /**
   * Added later (absent in older files): speed of this machine at the time, by `calibrate()`.
   * Virtual machines of one type differ by several times from host to host and hour to hour:
   * compare results only with similar calibration.
   */
  calibration_ops_per_s?: number;
}

const CALIBRATION_MESSAGE =
  '{"type":"match","trade_id":104580812,"maker_order_id":"da7f22ef-2a19-49e3-a97a-a1b2c3d4e5f6","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","side":"buy","size":"0.01234567","price":"60321.45","product_id":"BTC-USD","sequence":5081234567,"time":"2026-11-26T20:49:10.123456Z"}';

/**
 * A fixed workload like the collector's own (JSON.parse of a Coinbase match, a small object
 * kept for a while, strings, garbage for the young generation) for about 0.5 s: ops/s.
 */
export function calibrate(ms = 500): number {
  const run = (forMs: number): number => {
    const keep: unknown[] = new Array(4096);
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < forMs) {
      for (let i = 0; i < 1000; i++) {
        const m = JSON.parse(CALIBRATION_MESSAGE) as Record<string, string | number>;
        keep[(ops + i) & 4095] = { id: m.trade_id, p: m.price, s: m.size, side: m.side, t: `${m.time}|${i}` };
      }
      ops += 1000;
    }
    return ops / ((performance.now() - start) / 1000);
  };
  // The first call in a process would measure the JIT warming up, not the machine.
  run(200);
  return Math.round(run(ms));
}

export function redisServerVersion(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(r.stdout ?? '')?.[1] ?? 'not installed';
}

export function machineInfo(): MachineInfo {
  let os = `Linux ${release()}`;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
    os = `${os}, kernel ${release()}`;
  } catch {
    // Not Linux.
  }
  return {
    cpu: machineDescription(),
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: redisServerVersion(),
    os,
    load_avg: loadavg().map((x) => Math.round(x * 100) / 100),
    calibration_ops_per_s: calibrate(),
  };
}

export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  formatWithBiome(file);
  return file;
}

/** Generated files are committed: keep them in the repository's format (`npm run lint` checks them). */
export function formatWithBiome(...files: string[]): void {
  const biome = join(ROOT, 'node_modules/.bin/biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', ...files], { stdio: 'ignore', cwd: ROOT });
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function round(x: number, d = 3): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

/** The command line as a reader would type it again (for the results). */
export function commandLine(script: string): string {
  const args = process.argv.slice(2);
  return `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A benchmark script's flags: those taking a value, the switches, and its usage text. */
export interface FlagSpec {
  usage: string;
  values?: readonly string[];
  booleans?: readonly string[];
}

/** A command-line mistake: reported as one line and the usage, exit status 2. */
export class FlagError extends Error {}

/** A script's last word on failure: a flag mistake in one line (exit 2), anything else with its stack (exit 1). */
export function failed(script: string): (e: unknown) => never {
  return (e: unknown) => {
    if (e instanceof FlagError) {
      process.stderr.write(`${script}: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${script}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  };
}

/** parseFlags on the script's own arguments (mistakes reach `failed` as FlagErrors). */
export function scriptFlags(spec: FlagSpec): Map<string, string> {
  return parseFlags(process.argv.slice(2), spec);
}

/**
 * Parses `--name value`, `--name=value` and `--switch` arguments into strings ('true' for
 * switches). `--help` prints the usage and exits; an unknown flag is an error (a mistyped
 * `--rate` must not silently run the default).
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): Map<string, string> {
  const values = spec.values ?? [];
  const booleans = spec.booleans ?? [];
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${spec.usage.trim()}\n`);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new FlagError(`unexpected argument ${a}\n${spec.usage.trim()}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.includes(name)) {
      if (eq > 0) throw new FlagError(`--${name} takes no value`);
      out.set(name, 'true');
    } else if (values.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new FlagError(`--${name} needs a value`);
      out.set(name, v);
    } else {
      throw new FlagError(`unknown flag --${name}\n${spec.usage.trim()}`);
    }
  }
  return out;
}

/** A comma-separated list of positive numbers (`1000,10000`); anything else in it is dropped. */
export function rateList(text: string): number[] {
  return text
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
}

export function numberFlag(flags: Map<string, string>, name: string, def: number): number {
  const v = flags.get(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new FlagError(`--${name} must be a number >= 0, not ${v}`);
  return n;
}

/** Runs `fn` repeatedly for about `ms` and returns calls per second (after a warm-up). */
export function opsPerSecond(fn: () => number, ms: number): { ops_per_s: number; calls: number } {
  // Warm-up: let the JIT settle.
  const wEnd = performance.now() + Math.min(500, ms / 4);
  while (performance.now() < wEnd) fn();
  let calls = 0;
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    ops += fn();
    calls++;
    t = performance.now();
  }
  return { ops_per_s: ops / ((t - t0) / 1000), calls };
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
