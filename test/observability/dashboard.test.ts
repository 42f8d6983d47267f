/**
 * dashboards/alphapulse.json is an importable Grafana dashboard: well-formed, every panel on
 * the Prometheus datasource variable, unique ids, no overlapping panels, exchange/symbol
 * variables, and only the metric names of CONTRACT.md section 6 (plus the documented additions).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ADDITIONAL_METRICS,
  ALLOWED_METRICS,
  allPanels,
  baseName,
  CONTRACT_METRICS,
  DASHBOARD_PATH,
  dashboardExpressions,
  dashboardMetricNames,
  type GrafanaDashboard,
  loadDashboard,
  metricNamesInExpr,
  metricOfLabelValues,
  variableQuery,
} from './helpers.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
const DATASOURCE_REFS = new Set(['${datasource}', '$datasource', '${DS_PROMETHEUS}']);

function dsUid(ds: unknown): string | undefined {
  if (typeof ds === 'string') return ds;
  if (ds && typeof ds === 'object' && 'uid' in ds) return String((ds as { uid: unknown }).uid);
  return undefined;
}

/** Labels each metric carries (src/metrics/registry.ts), to check the variables are applied. */
const PER_MARKET = new Set([
  'trades_processed_total',
  'trade_gaps_total',
  'trades_backfilled_total',
  'trades_duplicate_total',
  'trade_gaps_unfilled_total',
  'book_checksum_failures_total',
  'book_resyncs_total',
  'last_message_age_seconds',
]);
const PER_EXCHANGE = new Set([
  'processing_latency_ms',
  'websocket_messages_total',
  'websocket_connected',
  'websocket_reconnections_total',
  'malformed_messages_total',
]);

describe('Grafana dashboard', () => {
  const text = readFileSync(DASHBOARD_PATH, 'utf8');
  const d: GrafanaDashboard = loadDashboard();

  it('is a JSON dashboard with the expected top-level fields', () => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(d.title).toBe('AlphaPulse market data');
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.schemaVersion).toBeLessThanOrEqual(41);
    expect(Array.isArray(d.panels)).toBe(true);
    expect(Array.isArray(d.templating?.list)).toBe(true);
    // A hard-coded datasource uid would only work on the author's Grafana.
    const fixed: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      } else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'datasource' && x !== null) {
            const uid = dsUid(x);
            if (!DATASOURCE_REFS.has(uid ?? '') && uid !== '-- Grafana --') fixed.push(`${path}.${k}=${uid}`);
          }
          walk(x, `${path}.${k}`);
        }
      }
    };
    walk(d, '$');
    expect(fixed, 'datasources not taken from the variable').toEqual([]);
  });

  it('selects the Prometheus datasource through a variable', () => {
    const dsVar = d.templating.list.find((v) => v.type === 'datasource');
    const input = d.__inputs?.find((i) => i.type === 'datasource' && i.pluginId === 'prometheus');
    expect(dsVar ?? input, 'a datasource variable or a DS_PROMETHEUS input').toBeDefined();
    if (dsVar) {
      expect(dsVar.name).toBe('datasource');
      expect(variableQuery(dsVar)).toBe('prometheus');
    }
  });

  it('has exchange and symbol variables populated from label_values, on the datasource variable', () => {
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    for (const [name, label] of [
      ['exchange', 'exchange'],
      ['symbol', 'symbol'],
    ] as const) {
      const v = vars.get(name);
      expect(v, `variable ${name}`).toBeDefined();
      expect(v!.type).toBe('query');
      const q = variableQuery(v!);
      expect(q).toMatch(new RegExp(`^label_values\\(.*,\\s*${label}\\)$`));
      expect(ALLOWED_METRICS.has(metricOfLabelValues(q) ?? '')).toBe(true);
      expect(DATASOURCE_REFS.has(dsUid(v!.datasource) ?? '')).toBe(true);
      expect(v!.includeAll).toBe(true);
      expect(v!.multi).toBe(true);
    }
    // symbol follows the chosen exchange
    expect(variableQuery(vars.get('symbol')!)).toContain('$exchange');
  });

  it('has unique panel ids and every query panel on the datasource variable', () => {
    const panels = allPanels(d);
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      if (p.type === 'row') continue;
      const where = `panel ${p.id} "${p.title}"`;
      expect(p.title, where).toBeTruthy();
      expect(DATASOURCE_REFS.has(dsUid(p.datasource) ?? ''), `${where} datasource`).toBe(true);
      if (typeof p.datasource === 'object' && p.datasource) expect(p.datasource.type).toBe('prometheus');
      expect(p.targets?.length, `${where} targets`).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, `${where} refIds`).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.expr, `${where} ${t.refId} expr`).toBeTruthy();
        if (t.datasource !== undefined) {
          expect(DATASOURCE_REFS.has(dsUid(t.datasource) ?? ''), `${where} ${t.refId} datasource`).toBe(true);
        }
      }
    }
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const boxes = allPanels(d).map((p) => ({ id: p.id, g: p.gridPos }));
    for (const { id, g } of boxes) {
      expect(g, `panel ${id} gridPos`).toBeDefined();
      expect(g!.x + g!.w, `panel ${id} width`).toBeLessThanOrEqual(24);
      expect(g!.w).toBeGreaterThan(0);
      expect(g!.h).toBeGreaterThan(0);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.g!;
        const b = boxes[j]!.g!;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `panels ${boxes[i]!.id} and ${boxes[j]!.id} overlap`).toBe(false);
      }
    }
  });

  it('uses only contract metric names (plus the documented additions) and shows every one of them', () => {
    const used = dashboardMetricNames(d);
    const unknown = [...used.keys()].filter((n) => !ALLOWED_METRICS.has(baseName(n)));
    expect(unknown, 'metric names outside CONTRACT.md section 6 and the additions').toEqual([]);
    const shown = new Set([...used.keys()].map(baseName));
    const missing = [...CONTRACT_METRICS, ...ADDITIONAL_METRICS].filter((n) => !shown.has(n));
    expect(missing, 'metrics without a panel').toEqual([]);
  });

  it('queries histograms through _bucket with histogram_quantile, and counters through rate/increase', () => {
    for (const { where, expr } of dashboardExpressions(d)) {
      for (const n of metricNamesInExpr(expr)) {
        if (n.endsWith('_bucket')) expect(expr, where).toMatch(/histogram_quantile\(/);
        if (n.endsWith('_total')) expect(expr, where).toMatch(/\b(rate|increase|irate)\(/);
      }
    }
  });

  it('applies the exchange and symbol variables wherever the metric has those labels', () => {
    for (const { where, expr } of dashboardExpressions(d)) {
      const names = metricNamesInExpr(expr).map(baseName);
      if (names.some((n) => PER_MARKET.has(n))) {
        expect(expr, where).toContain('exchange=~"$exchange"');
        expect(expr, where).toContain('symbol=~"$symbol"');
      } else if (names.some((n) => PER_EXCHANGE.has(n))) {
        expect(expr, where).toContain('exchange=~"$exchange"');
      }
    }
  });

  it('has the panels the runbook refers to', () => {
    const titles = allPanels(d).map((p) => p.title ?? '');
    for (const t of [
      'Trades/s by market',
      'Processing latency p50 / p99',
      'WebSocket status',
      'Reconnections',
      'Messages/s by type',
      'Malformed messages/s',
      'Gaps, back-fills, duplicates',
      'Order book: checksum failures and resyncs',
      'Store operations/s',
      'Store latency p99',
      'Buffers',
      'Buffer overflows',
      'Last message age',
      'Requests/s by route and status',
      'Request duration p99',
      'Memory (RSS)',
      'CPU',
      'Uptime',
      'Event-loop lag p99',
    ]) {
      expect(titles, t).toContain(t);
    }
  });
});
