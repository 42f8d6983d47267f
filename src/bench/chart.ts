/**
 * The latency-vs-throughput chart of the sweep, as a self-contained SVG (no charting
 * dependency): log-scale x = achieved trades/s, log-scale y = latency in ms (p50 and p99),
 * one point per offered rate, the knee marked, and the latency targets drawn.
 */

export interface ChartPoint {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  /** The collector kept up: achieved >= 97 % of offered, nothing lost. */
  keptUp: boolean;
}

export interface Knee {
  /** Index into the points (sorted by offered rate) of the last point before the knee. */
  index: number;
  reason: string;
}

/** Ratio of p99 between consecutive points beyond which latency is said to have turned up. */
export const KNEE_P99_JUMP = 5;
export const KEEP_UP_RATIO = 0.97;

/**
 * The knee: the highest offered rate before the first point where the collector falls
 * behind (achieved < 97 % of offered, or loss) or p99 grows more than 5x from the previous
 * point. Undefined when even the first point is past it; `index` = last point when none is.
 */
export function findKnee(points: readonly ChartPoint[]): Knee | undefined {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (!p.keptUp) {
      return i === 0
        ? undefined
        : { index: i - 1, reason: `at ${fmtRate(p.offered)} offered the collector fell behind` };
    }
    if (i > 0 && p.p99 > KNEE_P99_JUMP * points[i - 1]!.p99) {
      return {
        index: i - 1,
        reason: `p99 went from ${fmtMs(points[i - 1]!.p99)} to ${fmtMs(p.p99)} at ${fmtRate(p.offered)} offered`,
      };
    }
  }
  return points.length
    ? { index: points.length - 1, reason: 'no knee within the measured range' }
    : undefined;
}

export function fmtRate(n: number): string {
  if (n >= 1000) return `${Number((n / 1000).toFixed(n >= 10_000 ? 0 : 1))}k`;
  return String(Math.round(n));
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** The nearest 1, 2 or 5 x 10^k at or below / above v. */
function niceFloor(v: number): number {
  const d = 10 ** Math.floor(Math.log10(v));
  return [5, 2, 1].map((k) => k * d).find((x) => x <= v * 1.0001) ?? d;
}

function niceCeil(v: number): number {
  const d = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((k) => k * d).find((x) => x >= v * 0.9999) ?? 10 * d;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ChartOptions {
  title: string;
  subtitle?: string;
  /** Latency targets drawn as markers: p99 <= ms at a rate. */
  targets?: { rate: number; p99Ms: number; label: string }[];
  /** A second p99 series, dashed (e.g. the same rates under real-time scheduling). */
  compare?: { label: string; points: readonly ChartPoint[] };
}

const COMPARE_COLOR = '#7b3fb5';

export function renderChart(points: readonly ChartPoint[], o: ChartOptions): string {
  const W = 860;
  const H = 520;
  // A compared series takes a second legend row.
  const m = { l: 78, r: 30, t: o.compare?.points.length ? 100 : 84, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const valid = (p: ChartPoint) => p.achieved > 0 && p.p50 > 0 && p.p99 > 0;
  const pts = points.filter(valid);
  const cmp = (o.compare?.points ?? []).filter(valid);
  const targets = o.targets ?? [];
  const xs = [...pts.map((p) => p.achieved), ...cmp.map((p) => p.achieved), ...targets.map((t) => t.rate)];
  const ys = [
    ...pts.flatMap((p) => [p.p50, p.p99]),
    ...cmp.map((p) => p.p99),
    ...targets.map((t) => t.p99Ms),
  ];
  const x0 = niceFloor(Math.min(...xs) / 1.3);
  const x1 = niceCeil(Math.max(...xs) * 1.3);
  const y0 = niceFloor(Math.min(...ys) / 1.5);
  const y1 = niceCeil(Math.max(...ys) * 1.5);
  const X = (v: number) => m.l + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw;
  const Y = (v: number) =>
    m.t + ph - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(o.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(o.title)}</text>`,
  );
  if (o.subtitle)
    out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${esc(o.subtitle)}</text>`);
  // Grid and ticks: decades with 2 and 5 minor lines.
  for (let d = 10 ** Math.floor(Math.log10(x0)); d < x1 * 1.001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v < x0 * 0.999) continue;
      if (v > x1 * 1.001) break;
      const x = X(v).toFixed(1);
      out.push(
        `<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="${k === 1 ? '#ccc' : '#eee'}"/>`,
        `<text x="${x}" y="${m.t + ph + 18}" text-anchor="middle" fill="#333">${fmtRate(v)}</text>`,
      );
    }
  }
  for (let d = 10 ** Math.floor(Math.log10(y0)); d < y1 * 1.001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v < y0 * 0.999) continue;
      if (v > y1 * 1.001) break;
      const y = Y(v).toFixed(1);
      out.push(
        `<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="${k === 1 ? '#ccc' : '#eee'}"/>`,
        `<text x="${m.l - 8}" y="${Number(y) + 4}" text-anchor="end" fill="#333">${v >= 1 ? v : Number(v.toPrecision(1))}</text>`,
      );
    }
  }
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.l + pw / 2}" y="${H - 22}" text-anchor="middle">achieved trades/s (log scale; points labelled with the offered rate)</text>`,
    `<text transform="translate(20 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">latency, send -> Redis ack, ms (log scale)</text>`,
  );
  // Targets.
  for (const t of targets) {
    const x = X(t.rate);
    const y = Y(t.p99Ms);
    out.push(
      `<path d="M${(x - 6).toFixed(1)} ${y.toFixed(1)} L${x.toFixed(1)} ${(y - 6).toFixed(1)} L${(x + 6).toFixed(1)} ${y.toFixed(1)} L${x.toFixed(1)} ${(y + 6).toFixed(1)} Z" fill="none" stroke="#2a9d2a" stroke-width="1.5"/>`,
      x > m.l + pw * 0.7
        ? `<text x="${(x + 4).toFixed(1)}" y="${(y + 20).toFixed(1)}" text-anchor="end" fill="#2a9d2a">${esc(t.label)}</text>`
        : `<text x="${(x + 9).toFixed(1)}" y="${(y + 4).toFixed(1)}" fill="#2a9d2a">${esc(t.label)}</text>`,
    );
  }
  // Knee.
  const knee = findKnee(pts);
  if (knee) {
    const p = pts[knee.index]!;
    const x = X(p.achieved).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#e07b00" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${Number(x) + 6}" y="${m.t + ph - 10}" fill="#e07b00" font-weight="bold">knee: ${fmtRate(p.achieved)} trades/s</text>`,
    );
  }
  // Series.
  const series: [string, string, (p: ChartPoint) => number][] = [
    ['p50', '#1f6fd1', (p) => p.p50],
    ['p99', '#d12f1f', (p) => p.p99],
  ];
  for (const [name, color, f] of series) {
    const path = pts.map((p, i) => `${i ? 'L' : 'M'}${X(p.achieved).toFixed(1)} ${Y(f(p)).toFixed(1)}`);
    if (path.length) out.push(`<path d="${path.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) {
      const cx = X(p.achieved).toFixed(1);
      const cy = Y(f(p)).toFixed(1);
      out.push(
        `<circle cx="${cx}" cy="${cy}" r="4.5" fill="${p.keptUp ? color : '#fff'}" stroke="${color}" stroke-width="2"><title>${name} ${fmtMs(f(p))} at ${fmtRate(p.achieved)}/s achieved (${fmtRate(p.offered)}/s offered)</title></circle>`,
      );
      if (name === 'p99')
        out.push(
          `<text x="${cx}" y="${Number(cy) - 9}" text-anchor="middle" font-size="10" fill="#555">${fmtRate(p.offered)}</text>`,
        );
    }
  }
  if (cmp.length && o.compare) {
    const path = cmp.map((p, i) => `${i ? 'L' : 'M'}${X(p.achieved).toFixed(1)} ${Y(p.p99).toFixed(1)}`);
    out.push(
      `<path d="${path.join(' ')}" fill="none" stroke="${COMPARE_COLOR}" stroke-width="2" stroke-dasharray="5 3"/>`,
    );
    for (const p of cmp)
      out.push(
        `<circle cx="${X(p.achieved).toFixed(1)}" cy="${Y(p.p99).toFixed(1)}" r="4" fill="${p.keptUp ? COMPARE_COLOR : '#fff'}" stroke="${COMPARE_COLOR}" stroke-width="2"><title>p99 ${esc(o.compare.label)} ${fmtMs(p.p99)} at ${fmtRate(p.achieved)}/s achieved (${fmtRate(p.offered)}/s offered)</title></circle>`,
      );
  }
  // Legend: one row between the subtitle and the plot (the compared series on a second).
  const ly = 66;
  let lx = m.l;
  out.push(
    `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="#1f6fd1" stroke-width="2"/><text x="${lx + 30}" y="${ly + 4}">p50</text>`,
  );
  lx += 70;
  out.push(
    `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="#d12f1f" stroke-width="2"/><text x="${lx + 30}" y="${ly + 4}">p99</text>`,
  );
  lx += 70;
  out.push(
    `<circle cx="${lx + 6}" cy="${ly}" r="4.5" fill="#fff" stroke="#555" stroke-width="2"/><text x="${lx + 16}" y="${ly + 4}">hollow = collector fell behind or lost trades</text>`,
  );
  lx += 290;
  if (targets.length)
    out.push(
      `<path d="M${lx} ${ly} L${lx + 6} ${ly - 6} L${lx + 12} ${ly} L${lx + 6} ${ly + 6} Z" fill="none" stroke="#2a9d2a" stroke-width="1.5"/><text x="${lx + 18}" y="${ly + 4}">p99 target (at or below)</text>`,
    );
  if (cmp.length && o.compare)
    out.push(
      `<line x1="${m.l}" y1="${ly + 18}" x2="${m.l + 24}" y2="${ly + 18}" stroke="${COMPARE_COLOR}" stroke-width="2" stroke-dasharray="5 3"/><text x="${m.l + 30}" y="${ly + 22}">p99, ${esc(o.compare.label)}</text>`,
    );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
