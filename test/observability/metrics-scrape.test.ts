/**
 * A real /metrics scrape: `alphapulse collect` (the built CLI, embedded store) reading from
 * the simulator (or, until it exists, an in-test Coinbase feed), scraped once it has stored
 * trades. Then:
 *  - `promtool check metrics` on it reports nothing but the accepted "abbreviated units"
 *    finding for the contract's `_ms` names (CONTRACT.md section 6);
 *  - every contract metric is exposed;
 *  - every metric name in the dashboard and the alert rules exists in it.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, type Feed, startCoinbaseFeed, startSimulator, stopChild } from './feed.js';
import {
  ABBREVIATED_UNITS_FINDING,
  ACCEPTED_MS_NAMES,
  ADDITIONAL_METRICS,
  ALERTS_PATH,
  CONTRACT_METRICS,
  checkNameInExposition,
  dashboardMetricNames,
  type Exposition,
  findPromtool,
  loadDashboard,
  PROMETHEUS_SYNTHETIC,
  parseExposition,
  promtoolTestsEnabled,
  ROOT,
  type RuleFile,
  ruleMetricNames,
  runPromtool,
  sumSamples,
} from './helpers.js';

const SYMBOLS = 'BTC-USD,ETH-USD';
const SCRAPE_DEADLINE_MS = 40_000;
const withPromtool = it.skipIf(!promtoolTestsEnabled());
const skipNote = findPromtool() ? '' : ' (needs promtool)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The built CLI is what users run; build it only when missing (`npm test` builds first). */
function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/cli.js'))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

/** The environment of the collector: ours minus anything that would point it at real services. */
function collectorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (
      /^(REDIS_|DATABASE_URL|API_TOKEN|COINBASE_|KRAKEN_|EXCHANGES|SYMBOLS|SHARD|METRICS_PORT|API_)/.test(k)
    ) {
      delete env[k];
    }
  }
  return { ...env, LOG_LEVEL: 'warn', API_HOST: '127.0.0.1', BOOK_DEPTH: '10', ...extra };
}

/** The exposition with one zero sample added to every family that has none. */
function withZeroSamples(text: string): string {
  const expo = parseExposition(text);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    out.push(line);
    const m = /^# TYPE ([a-zA-Z_:][\w:]*) (\w+)$/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    const has = [name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((n) => expo.samples.has(n));
    if (has) continue;
    if (type === 'histogram') out.push(`${name}_bucket{le="+Inf"} 0`, `${name}_sum 0`, `${name}_count 0`);
    else if (type === 'summary') out.push(`${name}_sum 0`, `${name}_count 0`);
    else out.push(`${name} 0`);
  }
  return out.join('\n');
}

describe('real /metrics scrape of `alphapulse collect`', () => {
  let feed: Feed | undefined;
  let collector: ChildProcess | undefined;
  let collectorOut = '';
  let workDir = '';
  let scrape = '';
  let expo: Exposition;

  beforeAll(async () => {
    ensureBuilt();
    // OBS_FEED=builtin skips the simulator (to exercise the in-test feed).
    const simulator = process.env.OBS_FEED === 'builtin' ? undefined : await startSimulator(SYMBOLS);
    feed = simulator ?? (await startCoinbaseFeed(SYMBOLS));
    const port = await freePort();
    // An empty working directory: no stray .env is read.
    workDir = mkdtempSync(join(tmpdir(), 'alphapulse-obs-collect-'));
    collector = spawn(process.execPath, [CLI, 'collect'], {
      cwd: workDir,
      env: collectorEnv({ ...feed.env, METRICS_PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collector.stdout!.on('data', (c: Buffer) => {
      collectorOut += c.toString();
    });
    collector.stderr!.on('data', (c: Buffer) => {
      collectorOut += c.toString();
    });

    const exchanges = feed.env.EXCHANGES!.split(',');
    const deadline = Date.now() + SCRAPE_DEADLINE_MS;
    let lastError = '';
    while (Date.now() < deadline) {
      if (collector.exitCode !== null) break;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (res.ok) {
          expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
          scrape = await res.text();
          expo = parseExposition(scrape);
          // Every exchange has stored trades (the simulator may take a moment per exchange) and
          // the collector's periodic gauges have been set at least once.
          if (
            exchanges.every((ex) => sumSamples(expo, 'trades_processed_total', `exchange="${ex}"`) > 0) &&
            expo.samples.has('buffer_size') &&
            expo.samples.has('last_message_age_seconds')
          ) {
            break;
          }
        } else lastError = `HTTP ${res.status}`;
      } catch (e) {
        lastError = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const outDir = join(ROOT, 'test-results/observability');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'metrics-scrape.txt'), scrape);
    if (!scrape || sumSamples(parseExposition(scrape), 'trades_processed_total') === 0) {
      throw new Error(
        `no scrape with trades_processed_total > 0 within ${SCRAPE_DEADLINE_MS} ms ` +
          `(feed: ${feed.kind}; last error: ${lastError}; collector exit: ${collector.exitCode})\n` +
          `collector output:\n${collectorOut.slice(-4000)}\nfeed output:\n${feed.log().slice(-2000)}`,
      );
    }
    console.info(
      `observability: scraped ${scrape.length} bytes from \`alphapulse collect\` fed by the ${feed.kind} ` +
        `(copy in test-results/observability/metrics-scrape.txt)`,
    );
  }, 120_000);

  afterAll(async () => {
    if (collector) await stopChild(collector);
    await feed?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('comes from a collector that stored trades and exposes every contract metric', () => {
    expect(sumSamples(expo, 'trades_processed_total')).toBeGreaterThan(0);
    expect(sumSamples(expo, 'processing_latency_ms_count')).toBeGreaterThan(0);
    expect(sumSamples(expo, 'websocket_connected')).toBeGreaterThan(0);
    const missing = [...CONTRACT_METRICS, ...ADDITIONAL_METRICS].filter((n) => !expo.families.has(n));
    expect(missing, 'contract metrics missing from /metrics').toEqual([]);
    // Node default process metrics are there too (CONTRACT.md section 6).
    expect(expo.families.has('process_cpu_seconds_total')).toBe(true);
    expect(expo.families.has('nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('has the contract types and labels', () => {
    const types: Record<string, string> = {
      processing_latency_ms: 'histogram',
      redis_operation_latency_ms: 'histogram',
      http_request_duration_ms: 'histogram',
      websocket_connected: 'gauge',
      buffer_size: 'gauge',
      memory_usage_bytes: 'gauge',
      cpu_usage_percent: 'gauge',
      uptime_seconds: 'gauge',
      last_message_age_seconds: 'gauge',
      event_loop_lag_seconds: 'gauge',
    };
    for (const n of [...CONTRACT_METRICS, ...ADDITIONAL_METRICS]) {
      const want = types[n] ?? (n.endsWith('_total') ? 'counter' : 'gauge');
      expect(expo.families.get(n), n).toBe(want);
    }
    const labelsOf = (name: string) => (expo.samples.get(name) ?? []).map((s) => s.labels);
    for (const l of labelsOf('trades_processed_total')) {
      expect(l).toMatch(/^\{exchange="(coinbase|kraken)",symbol="[A-Z0-9]+-[A-Z0-9]+"\}$/);
    }
    for (const l of labelsOf('processing_latency_ms_bucket'))
      expect(l).toMatch(/^\{le="[^"]+",exchange="\w+"\}$/);
    for (const l of labelsOf('websocket_connected')) expect(l).toMatch(/^\{exchange="\w+"\}$/);
  });

  /** promtool check metrics, split into the accepted findings and the others. */
  function checkMetrics(text: string) {
    const r = runPromtool(['check', 'metrics'], text);
    const findings = r.output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const accepted = findings.filter((l) =>
      ACCEPTED_MS_NAMES.some((n) => l === `${n} ${ABBREVIATED_UNITS_FINDING}`),
    );
    return { ...r, accepted, other: findings.filter((l) => !accepted.includes(l)) };
  }

  withPromtool(`promtool check metrics finds nothing but the accepted _ms unit names${skipNote}`, () => {
    const r = checkMetrics(scrape);
    console.info(`promtool check metrics (exit ${r.status}):\n${r.output.trim() || '(no findings)'}`);
    expect(
      r.other,
      'promtool findings other than the accepted _ms unit names (CONTRACT.md section 6)',
    ).toEqual([]);
    // Exit 3 = lint problems (the accepted ones); anything else non-zero is a parse error.
    expect(r.status === 0 || (r.status === 3 && r.accepted.length > 0), `promtool exit ${r.status}`).toBe(
      true,
    );
  });

  withPromtool(
    `promtool check metrics also passes for the families that had no sample yet${skipNote}`,
    () => {
      // promtool lints only families with samples, and a labelled counter has none until its
      // first event (no gap yet, no Redis in embedded mode, no HTTP on collect). Lint depends on
      // names, types and help only: give each empty family of the real scrape one zero sample.
      const populated = withZeroSamples(scrape);
      expect(parseExposition(populated).samples.has('redis_operation_latency_ms_count')).toBe(true);
      const r = checkMetrics(populated);
      expect(
        r.other,
        'promtool findings other than the accepted _ms unit names (CONTRACT.md section 6)',
      ).toEqual([]);
      expect(r.status, r.output).toBe(3);
      expect(r.accepted.sort()).toEqual(
        ACCEPTED_MS_NAMES.map((n) => `${n} ${ABBREVIATED_UNITS_FINDING}`).sort(),
      );
    },
  );

  it('exposes every metric name the dashboard uses', () => {
    const problems = [...dashboardMetricNames(loadDashboard()).entries()]
      .map(([n, where]) => [checkNameInExposition(expo, n), where] as const)
      .filter(([problem]) => problem !== undefined)
      .map(([problem, where]) => `${problem} (${where.join('; ')})`);
    expect(problems).toEqual([]);
  });

  it('exposes every metric name the alert rules use', () => {
    const rules = parse(readFileSync(ALERTS_PATH, 'utf8')) as RuleFile;
    const problems = [...ruleMetricNames(rules).entries()]
      .filter(([n]) => !PROMETHEUS_SYNTHETIC.has(n))
      .map(([n, where]) => [checkNameInExposition(expo, n), where] as const)
      .filter(([problem]) => problem !== undefined)
      .map(([problem, where]) => `${problem} (${where.join(', ')})`);
    expect(problems).toEqual([]);
  });
});
