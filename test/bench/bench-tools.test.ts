/** The benchmark tooling's pure parts: knee detection, chart, medians, latency recorder window and clock correction. */

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { type ChartPoint, findKnee, renderChart } from '../../src/bench/chart.js';
import { median, parseFlags } from '../../src/bench/common.js';
import { LatencyRecorder } from '../../src/bench/latency-recorder.js';
import { component } from '../../src/bench/profile.js';
import { otherHostsSection, withMedians } from '../../src/bench/report.js';
import { floorPoints, type SweepFile, type SweepRun, summarise } from '../../src/bench/sweep-summary.js';
import type { Trade } from '../../src/core/types.js';

const pt = (offered: number, p99: number, keptUp = true): ChartPoint => ({
  offered,
  achieved: keptUp ? offered : offered * 0.8,
  p50: p99 / 4,
  p99,
  keptUp,
});

describe('findKnee', () => {
  it('is the last point before latency jumps more than 5x', () => {
    const k = findKnee([pt(1000, 1), pt(10_000, 1.2), pt(50_000, 2), pt(100_000, 40), pt(150_000, 300)]);
    expect(k?.index).toBe(2);
  });

  it('is the last point before the collector falls behind', () => {
    const k = findKnee([pt(1000, 1), pt(10_000, 1.2), pt(50_000, 3, false)]);
    expect(k?.index).toBe(1);
    expect(k?.reason).toMatch(/fell behind/);
  });

  it('is the last point when latency never turns up, and undefined when the first point already failed', () => {
    expect(findKnee([pt(1000, 1), pt(10_000, 2)])?.index).toBe(1);
    expect(findKnee([pt(1000, 1, false)])).toBeUndefined();
  });
});

describe('renderChart', () => {
  it('draws one marker per point and series, the knee and the targets', () => {
    const svg = renderChart([pt(1000, 1), pt(10_000, 1.2), pt(100_000, 50)], {
      title: 'a <title> & more',
      targets: [{ rate: 10_000, p99Ms: 1, label: 'p99 <= 1 ms' }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle /g)?.length).toBe(3 * 2 + 1); // 2 series + legend marker
    expect(svg).toContain('knee: 10k trades/s');
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg).toContain('p99 &lt;= 1 ms');
    expect(svg).not.toContain('stroke-dasharray="5 3"');
  });

  it('draws a compared p99 series dashed, with its own markers and legend row', () => {
    const svg = renderChart([pt(1000, 1), pt(10_000, 1.2), pt(100_000, 50)], {
      title: 't',
      compare: { label: 'under <FIFO>', points: [pt(10_000, 0.9), pt(100_000, 4)] },
    });
    expect(svg.match(/<circle /g)?.length).toBe(3 * 2 + 2 + 1);
    // One dashed path for the series and one in the legend.
    expect(svg.match(/stroke-dasharray="5 3"/g)?.length).toBe(2);
    expect(svg).toContain('p99, under &lt;FIFO&gt;');
    expect(svg).toContain('<title>p99 under &lt;FIFO&gt; 4.00 ms at 100k/s achieved');
  });
});

/** A bench result with only the figures the summaries read; the rest as given. */
const benchResult = (o: {
  rate?: number;
  sent?: number;
  lost?: number;
  p99?: number;
  p50?: number;
  cpu?: number;
}): NonNullable<SweepRun['result']> => {
  const { rate = 1000, sent = 100, lost = 0, p99 = 1, p50 = 1, cpu = 10 } = o;
  return {
    offered_rate: rate,
    achieved_rate: rate,
    sent,
    stored: sent - lost,
    lost,
    latency_ms: { p50, p90: 1, p99, p999: 1, max: 1 },
    collector_rss_mb_peak: 100,
    collector_cpu_pct: cpu,
    collector_cpu_wait_pct: 0,
    redis_cpu_pct: 1,
    simulator_cpu_pct: 1,
    load_avg_1m: 0,
  } as unknown as NonNullable<SweepRun['result']>;
};

describe('sweep medians', () => {
  it('takes medians over completed runs and the worst loss', () => {
    const result = (p99: number, lost: number) => benchResult({ p99, lost });
    const p = summarise(1000, [
      { offered_rate: 1000, run: 1, result: result(3, 0) },
      { offered_rate: 1000, run: 2, result: result(1, 2) },
      { offered_rate: 1000, run: 3, result: result(2, 0) },
      { offered_rate: 1000, run: 4, error: 'boom' },
    ]);
    expect(p?.latency_ms.p99).toBe(2);
    expect(p?.lost_max).toBe(2);
    expect(p?.failed_runs).toBe(1);
    expect(p?.sent_total).toBe(300);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('keeps the collector and the floor apart, per rate', () => {
    const result = (rate: number, cpu: number) => benchResult({ rate, cpu });
    const runs = [
      { offered_rate: 10, run: 1, program: 'collector' as const, result: result(10, 20) },
      { offered_rate: 10, run: 1, program: 'floor' as const, result: result(10, 15) },
      { offered_rate: 10, run: 2, program: 'collector' as const, result: result(10, 22) },
      { offered_rate: 10, run: 2, program: 'floor' as const, result: result(10, 17) },
      // A rate and program with no completed run has no point.
      { offered_rate: 20, run: 1, program: 'floor' as const, error: 'boom' },
    ];
    const pts = floorPoints({
      settings: { rates: [10, 20], runs: 2, duration_s: 1, warmup_s: 0, markets: 2 },
      runs,
    });
    expect(pts.map((p) => [p.offered_rate, p.program, p.realtime, p.collector_cpu_pct])).toEqual([
      [10, 'collector', false, 21],
      [10, 'floor', false, 16],
    ]);
    // Real-time runs are their own points.
    const rt = floorPoints({
      settings: { rates: [10], realtime_rates: [10], runs: 2, duration_s: 1, warmup_s: 0, markets: 2 },
      runs: [
        ...runs,
        { offered_rate: 10, run: 1, program: 'floor' as const, realtime: true, result: result(10, 30) },
      ],
    });
    expect(rt.map((p) => [p.program, p.realtime, p.collector_cpu_pct])).toEqual([
      ['collector', false, 21],
      ['floor', false, 16],
      ['floor', true, 30],
    ]);
  });
});

describe('parseFlags', () => {
  const spec = {
    usage: 'npm run bench:x [-- --rate 1 --quick]',
    values: ['rate', 'note'],
    booleans: ['quick'],
  };

  it('reads values, = values and switches', () => {
    const f = parseFlags(['--rate', '5000', '--note=a b', '--quick'], spec);
    expect([...f]).toEqual([
      ['rate', '5000'],
      ['note', 'a b'],
      ['quick', 'true'],
    ]);
  });

  it('refuses unknown flags, missing values, values on switches and bare words, with the usage', () => {
    expect(() => parseFlags(['--rates', '5000'], spec)).toThrow(/unknown flag --rates\nnpm run bench:x/);
    expect(() => parseFlags(['--rate'], spec)).toThrow('--rate needs a value');
    expect(() => parseFlags(['--quick=yes'], spec)).toThrow('--quick takes no value');
    expect(() => parseFlags(['5000'], spec)).toThrow(/unexpected argument 5000/);
  });

  it('prints the usage for --help and exits 0, and exits 2 on a mistyped flag (built scripts)', () => {
    const script = resolve(fileURLToPath(import.meta.url), '../../../dist/bench/sweep.js');
    const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^npm run bench:sweep \[-- --rates /);
    const typo = spawnSync(process.execPath, [script, '--rate', '1000'], { encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/^bench:sweep: unknown flag --rate\n/);
  });
});

describe('LatencyRecorder', () => {
  const trade = (ts: number): Trade => ({
    exchange: 'coinbase',
    symbol: 'BTC-USD',
    id: ts,
    price: '1',
    size: '1',
    side: 'buy',
    ts,
    recvTs: ts + 100,
  });

  it('skips trades made before the window', () => {
    const r = new LatencyRecorder(1_000_000);
    r.record([trade(999_000), trade(1_000_000), trade(1_000_500)], 1_002_000);
    const rep = r.report();
    expect(rep.count).toBe(2);
    expect(rep.latency_ms.max).toBeCloseTo(2, 2);
    expect(rep.by_exchange.coinbase?.count).toBe(2);
    expect(rep.first_ack_us).toBe(1_002_000);
  });

  it('reports the percentiles an HDR histogram of the same values gives, below and above its flat range', () => {
    const r = new LatencyRecorder(0);
    const reference = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const ack = 10_000_000_000;
    const latencies: number[] = [];
    for (let i = 0; i < 5000; i++) latencies.push(((i * 7919) % 20_000) + 1); // 1 µs .. 20 ms
    for (let i = 0; i < 60; i++) latencies.push(65_000 + i * 1000); // across the 65 ms boundary
    latencies.push(2_500_000, 0); // 2.5 s, and a zero (counted as 1 µs)
    r.record(
      latencies.map((l) => trade(ack - l)),
      ack,
    );
    for (const l of latencies) reference.recordValue(Math.max(1, l));
    const rep = r.report();
    expect(rep.count).toBe(latencies.length);
    for (const [p, got] of [
      [50, rep.latency_ms.p50],
      [90, rep.latency_ms.p90],
      [99, rep.latency_ms.p99],
      [99.9, rep.latency_ms.p999],
    ] as const) {
      expect(got, `p${p}`).toBe(reference.getValueAtPercentile(p) / 1000);
    }
    expect(rep.latency_ms.max).toBe(reference.maxValue / 1000);
    const decoded = hdr.decodeFromCompressedBase64(rep.hdr_base64);
    expect(decoded.totalCount).toBe(latencies.length);
  });
});

describe('profile components', () => {
  it('groups frames by what they belong to', () => {
    expect(component('file:///x/node_modules/@redis/client/dist/a.js', 'f')).toMatch(/Redis client/);
    expect(component('file:///x/dist/exchanges/coinbase/parse.js', 'parseFrame')).toMatch(/exchange parsing/);
    expect(component('file:///x/dist/collector/trade-writer.js', 'f')).toBe('src/collector');
    expect(component('', '(garbage collector)')).toBe('GC');
  });
});

describe('other hosts', () => {
  const sweepAt = (at: string, p99At10k: number, cpuAt10k: number, speed: number, cpu: string): SweepFile => {
    const run = (rate: number, p99: number, cpu: number): SweepRun => ({
      offered_rate: rate,
      run: 1,
      calibration_ops_per_s: speed,
      result: benchResult({ rate, p99, p50: p99 / 2, cpu }),
    });
    return withMedians({
      kind: 'sweep',
      generated_at: at,
      command: 'npm run bench:sweep',
      quick: false,
      note: '',
      machine: { cpu } as SweepFile['machine'],
      settings: { rates: [10_000, 100_000], runs: 1, duration_s: 20, warmup_s: 2, markets: 2, sustain: null },
      runs: [run(10_000, p99At10k, cpuAt10k), run(100_000, 4, 40)],
      points: [],
      sustained: { runs: [], point: null },
    });
  };

  it('judges the sweep targets again for every host, side by side with the main sweep', () => {
    const main = sweepAt('2026-01-02T03:04:05Z', 0.9, 15, 1_000_000, 'Intel Xeon');
    const slow = sweepAt('2026-01-01T00:00:00Z', 2.5, 30, 400_000, 'AMD EPYC');
    const md = otherHostsSection(main, [{ file: 'bench/results/hosts/slow.json', sweep: slow }]);
    const row = (label: string) => md.split('\n').find((l) => l.startsWith(`| ${label} `))!;
    expect(md).toContain(
      'bench/results/hosts/slow.json, AMD EPYC, 2026-01-01 00:00 UTC, 400,000-400,000 ops/s',
    );
    expect(md).toContain(
      'bench/results/sweep.json (above), Intel Xeon, 2026-01-02 03:04 UTC, 1,000,000-1,000,000 ops/s',
    );
    expect(row('p99 <= 1 ms at 10k trades/s')).toMatch(
      /\| PASS: p99 0\.9\d* ms.*\| \*\*FAIL\*\*: p99 2\.5\d* ms/,
    );
    expect(row('collector CPU <= 20 % of one core at 10k trades/s')).toMatch(
      /PASS: 15 % of one core \| \*\*FAIL\*\*: 30 % of one core/,
    );
    expect(row('>= 100k trades/s for 60 s, lost 0')).toContain('NOT MEASURED');
    expect(md).not.toContain('API `/trades`');
    expect(otherHostsSection(main, [])).toBe('');
  });
});
