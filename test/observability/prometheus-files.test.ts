/**
 * deploy/prometheus.yml and deploy/alerts.yml: promtool accepts them, the alert rules fire
 * as intended on synthetic series (alerts.promtest.yml), every alert is well described
 * and documented, and the dashboard's PromQL parses.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERTS_PATH,
  ALERTS_PROMTEST_PATH,
  ALLOWED_METRICS,
  alertRules,
  baseName,
  DOCS_PATH,
  dashboardExpressions,
  findPromtool,
  loadDashboard,
  PROMETHEUS_CONFIG_PATH,
  PROMETHEUS_SYNTHETIC,
  promtoolTestsEnabled,
  type RuleFile,
  ruleMetricNames,
  runPromtool,
  selectorOfLabelValues,
  substituteGrafanaVariables,
  variableQuery,
} from './helpers.js';

const withPromtool = it.skipIf(!promtoolTestsEnabled());
const skipNote = findPromtool() ? '' : ' (needs promtool)';

const rules = parse(readFileSync(ALERTS_PATH, 'utf8')) as RuleFile;
const alerts = alertRules(rules).filter((r) => r.alert);

describe('Prometheus files', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alphapulse-obs-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  withPromtool(`promtool check config deploy/prometheus.yml passes${skipNote}`, () => {
    const r = runPromtool(['check', 'config', PROMETHEUS_CONFIG_PATH]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('1 rule files found');
  });

  withPromtool(`promtool check rules deploy/alerts.yml passes${skipNote}`, () => {
    const r = runPromtool(['check', 'rules', ALERTS_PATH]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  withPromtool(`alert rules fire as intended on synthetic series (promtool test rules)${skipNote}`, () => {
    const r = runPromtool(['test', 'rules', ALERTS_PROMTEST_PATH]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  withPromtool(`every dashboard query is valid PromQL${skipNote}`, () => {
    const d = loadDashboard();
    const exprs = dashboardExpressions(d);
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      const sel = selectorOfLabelValues(variableQuery(v));
      if (sel) exprs.push({ where: `variable ${v.name}`, expr: sel });
    }
    expect(exprs.length).toBeGreaterThan(20);
    const file = join(tmp, 'dashboard-rules.yml');
    const ruleList = exprs.map((e, i) => ({
      record: `dashboard_query_${i}`,
      expr: substituteGrafanaVariables(e.expr),
      labels: { where: e.where },
    }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: ruleList }] }, null, 2));
    const r = runPromtool(['check', 'rules', file]);
    expect(r.status, r.output).toBe(0);
  });

  it('uses only contract metric names (plus the documented additions and `up`)', () => {
    const used = ruleMetricNames(rules);
    const unknown = [...used.entries()]
      .filter(([n]) => !ALLOWED_METRICS.has(baseName(n)) && !PROMETHEUS_SYNTHETIC.has(n))
      .map(([n, where]) => `${n} (${where.join(', ')})`);
    expect(unknown).toEqual([]);
    // `up` is scoped to this service's jobs.
    for (const r of alerts) if (/\bup\b/.test(r.expr)) expect(r.expr).toMatch(/up\{job=~?"alphapulse/);
  });

  it('has the alerts the runbook describes', () => {
    const names = alerts.map((r) => r.alert);
    expect(new Set(names).size, 'unique alert names').toBe(names.length);
    const needed: [string, RegExp][] = [
      ['collector disconnected', /websocket_connected\s*==\s*0/],
      ['no trades for a market', /increase\(trades_processed_total\[\w+\]\)\)?\s*==\s*0/],
      ['p99 latency', /histogram_quantile\(0\.99,[\s\S]*processing_latency_ms_bucket/],
      ['gaps not back-filled', /trade_gaps_unfilled_total/],
      ['gaps without back-fill', /trade_gaps_total[\s\S]*unless[\s\S]*trades_backfilled_total/],
      ['checksum failures', /book_checksum_failures_total/],
      ['resync storm', /book_resyncs_total/],
      ['buffer overflow', /buffer_overflows_total/],
      ['pending buffer high', /buffer_size\{type="pending"\}/],
      ['store errors', /redis_operations_total\{status="error"\}/],
      ['stale feed', /last_message_age_seconds/],
      ['HTTP 5xx', /http_requests_total\{status=~"5\.\."\}/],
      ['memory', /memory_usage_bytes/],
    ];
    for (const [what, re] of needed) {
      expect(
        alerts.some((a) => re.test(a.expr)),
        `an alert for ${what}`,
      ).toBe(true);
    }
  });

  it('gives every alert a for:, a severity and summary/description/runbook annotations', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(13);
    for (const a of alerts) {
      const where = a.alert!;
      expect(a.for, `${where} for`).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], `${where} severity`).toContain(a.labels?.severity);
      expect(a.annotations?.summary, `${where} summary`).toBeTruthy();
      expect(a.annotations?.description, `${where} description`).toBeTruthy();
      expect(a.annotations?.runbook, `${where} runbook`).toBe(`docs/observability.md#${where.toLowerCase()}`);
    }
    // Gauges that flap must not fire on one bad scrape.
    for (const a of alerts) {
      if (
        /^(websocket_connected|last_message_age_seconds|buffer_size|memory_usage_bytes|cpu_usage_percent)/.test(
          a.expr,
        )
      ) {
        expect(a.for, `${a.alert} for`).not.toBe('0m');
      }
    }
  });

  it('documents every alert in docs/observability.md and tests each one in alerts.promtest.yml', () => {
    const docs = readFileSync(DOCS_PATH, 'utf8');
    const headings = new Set([...docs.matchAll(/^#{2,4}\s+(\S+)\s*$/gm)].map((m) => m[1]!.toLowerCase()));
    const promtest = readFileSync(ALERTS_PROMTEST_PATH, 'utf8');
    for (const a of alerts) {
      expect(headings.has(a.alert!.toLowerCase()), `docs heading for ${a.alert}`).toBe(true);
      expect(promtest, `promtool test for ${a.alert}`).toMatch(new RegExp(`\\b${a.alert}\\b`));
    }
  });

  it('scrapes both process kinds and loads the rules', () => {
    const cfg = parse(readFileSync(PROMETHEUS_CONFIG_PATH, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(cfg.rule_files).toContain('alerts.yml');
    const targets = new Map(
      cfg.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]),
    );
    expect(targets.get('alphapulse-api')).toContain('127.0.0.1:3001');
    expect(targets.get('alphapulse-collect')).toContain('127.0.0.1:9091');
    for (const s of cfg.scrape_configs) expect(s.metrics_path ?? '/metrics').toBe('/metrics');
  });
});
