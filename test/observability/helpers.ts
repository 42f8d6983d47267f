/**
 * Shared by the observability tests: where the files are, promtool, PromQL metric-name
 * extraction, and parsing of a Prometheus text exposition.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DASHBOARD_PATH = join(ROOT, 'dashboards/alphapulse.json');
export const PROMETHEUS_CONFIG_PATH = join(ROOT, 'deploy/prometheus.yml');
export const ALERTS_PATH = join(ROOT, 'deploy/alerts.yml');
export const ALERTS_PROMTEST_PATH = join(ROOT, 'test/observability/alerts.promtest.yml');
export const DOCS_PATH = join(ROOT, 'docs/observability.md');

/** CONTRACT.md section 6, exactly. */
export const CONTRACT_METRICS = [
  'trades_processed_total',
  'processing_latency_ms',
  'websocket_messages_total',
  'websocket_connected',
  'websocket_reconnections_total',
  'redis_operations_total',
  'redis_operation_latency_ms',
  'http_requests_total',
  'http_request_duration_ms',
  'memory_usage_bytes',
  'cpu_usage_percent',
  'uptime_seconds',
  'buffer_size',
  'buffer_overflows_total',
  'trade_gaps_total',
  'trades_backfilled_total',
  'trades_duplicate_total',
  'book_checksum_failures_total',
  'book_resyncs_total',
  'malformed_messages_total',
] as const;

/** Exported beyond the contract by src/metrics/registry.ts (may be used by dashboard and alerts). */
export const ADDITIONAL_METRICS = [
  'last_message_age_seconds',
  'event_loop_lag_seconds',
  'trade_gaps_unfilled_total',
] as const;

export const ALLOWED_METRICS: ReadonlySet<string> = new Set([...CONTRACT_METRICS, ...ADDITIONAL_METRICS]);

/** Series Prometheus makes itself (never in a scrape); alerts may use them. */
export const PROMETHEUS_SYNTHETIC: ReadonlySet<string> = new Set(['up']);

/** The only promtool `check metrics` finding accepted (CONTRACT.md section 6), for these names only. */
export const ACCEPTED_MS_NAMES = [
  'processing_latency_ms',
  'redis_operation_latency_ms',
  'http_request_duration_ms',
];
export const ABBREVIATED_UNITS_FINDING = 'metric names should not contain abbreviated units';

// ---------------------------------------------------------------------------------------------
// promtool

export interface Promtool {
  /** Absolute path or command name. */
  bin: string;
  version: string;
}

let promtoolCache: Promtool | null | undefined;

/** promtool from $PROMTOOL or PATH; null when absent. */
export function findPromtool(): Promtool | null {
  if (promtoolCache !== undefined) return promtoolCache;
  const bin = process.env.PROMTOOL || 'promtool';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  promtoolCache =
    r.status === 0 ? { bin, version: `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? '' } : null;
  return promtoolCache;
}

export const REQUIRE_PROMTOOL = process.env.REQUIRE_PROMTOOL === '1';

/**
 * Whether promtool-based tests run. Absent promtool skips them (with a message) unless
 * REQUIRE_PROMTOOL=1, in which case they run and fail in `promtoolOrFail()`.
 */
export function promtoolTestsEnabled(): boolean {
  if (findPromtool() || REQUIRE_PROMTOOL) return true;
  if (!warned) {
    warned = true;
    console.warn(
      'observability: promtool not found on PATH (or $PROMTOOL): skipping promtool checks. ' +
        'Install it with `apt-get install prometheus` (Debian/Ubuntu) or from the Prometheus release ' +
        'tarball; set REQUIRE_PROMTOOL=1 to make its absence a failure.',
    );
  }
  return false;
}
let warned = false;

export function promtoolOrFail(): Promtool {
  const p = findPromtool();
  if (!p) {
    throw new Error(
      'promtool is required (REQUIRE_PROMTOOL=1) but was not found on PATH or in $PROMTOOL; ' +
        'install it with `apt-get install prometheus`',
    );
  }
  return p;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertion messages. */
  output: string;
}

export function runPromtool(args: string[], input?: string, cwd = ROOT): RunResult {
  const p = promtoolOrFail();
  const r = spawnSync(p.bin, args, { encoding: 'utf8', input, cwd, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------------------------------------
// PromQL

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects (Grafana variables allowed). Strings, label
 * matchers, ranges, grouping label lists and function names are not metric names.
 */
export function metricNamesInExpr(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = new Set<string>();
  const token = /(?<![\w.:])([a-zA-Z_:][\w:]*)/g;
  for (let m = token.exec(s); m !== null; m = token.exec(s)) {
    const name = m[1]!;
    const rest = s.slice(m.index + name.length);
    if (/^\s*\(/.test(rest)) continue; // function call or aggregation
    if (PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** The metric of a Grafana `label_values(metric{...}, label)` variable query, if it names one. */
export function metricOfLabelValues(query: string): string | undefined {
  const m = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*[{,]/.exec(query);
  return m?.[1];
}

/** The series selector inside a `label_values(...)` query (for syntax checks). */
export function selectorOfLabelValues(query: string): string | undefined {
  const m = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*\s*(?:\{[^}]*\})?)\s*,/.exec(query);
  return m?.[1];
}

/** Replaces Grafana variables so that an expression is plain PromQL. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{[^}]*\}|\$\w+/g, '.*');
}

// ---------------------------------------------------------------------------------------------
// Text exposition

export interface Exposition {
  /** family name -> type from `# TYPE` (or `untyped` when only HELP / samples were seen). */
  families: Map<string, string>;
  /** Every sample name that appeared, with the values of its samples. */
  samples: Map<string, { labels: string; value: number }[]>;
}

export function parseExposition(text: string): Exposition {
  const families = new Map<string, string>();
  const samples = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][\w:]*)(?:\s+(.*))?$/.exec(line);
    if (meta) {
      const name = meta[2]!;
      if (meta[1] === 'TYPE') families.set(name, (meta[3] ?? 'untyped').trim());
      else if (!families.has(name)) families.set(name, 'untyped');
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!sample) continue;
    const list = samples.get(sample[1]!) ?? [];
    list.push({ labels: sample[2] ?? '', value: Number(sample[3]) });
    samples.set(sample[1]!, list);
  }
  return { families, samples };
}

/**
 * Whether a name used in a query exists in the exposition: a family (counter, gauge,
 * untyped) or a series of a histogram/summary family (`_bucket`, `_sum`, `_count`, and
 * the bare name for summary quantiles). Returns a reason when it does not.
 */
export function checkNameInExposition(expo: Exposition, name: string): string | undefined {
  const type = expo.families.get(name);
  if (type === 'histogram') return `${name} is a histogram: query ${name}_bucket, _sum or _count`;
  if (type !== undefined || expo.samples.has(name)) return undefined;
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (suffix) {
    const baseType = expo.families.get(suffix[1]!);
    if (baseType === 'histogram') return undefined;
    if (baseType === 'summary' && suffix[2] !== 'bucket') return undefined;
    if (baseType !== undefined) return `${name}: ${suffix[1]} is a ${baseType}, not a histogram`;
  }
  return `${name} is not exposed by the collector`;
}

/** The base (family) name of a name used in a query: strips histogram series suffixes. */
export function baseName(name: string): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && ALLOWED_METRICS.has(m[1]!) ? m[1]! : name;
}

/** Sum of all samples of one metric. */
export function sumSamples(expo: Exposition, name: string, labelFilter?: string): number {
  return (expo.samples.get(name) ?? [])
    .filter((s) => labelFilter === undefined || s.labels.includes(labelFilter))
    .reduce((a, s) => a + s.value, 0);
}

// ---------------------------------------------------------------------------------------------
// The shipped files

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  legendFormat?: string;
}

export interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
  collapsed?: boolean;
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  includeAll?: boolean;
  multi?: boolean;
}

export interface GrafanaDashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
  __inputs?: { name: string; type: string; pluginId: string }[];
}

export function loadDashboard(): GrafanaDashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as GrafanaDashboard;
}

/** Every panel, rows' nested panels included (collapsed rows keep theirs in `panels`). */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  for (const p of d.panels) {
    out.push(p);
    if (p.type === 'row' && Array.isArray(p.panels)) out.push(...p.panels);
  }
  return out;
}

export function variableQuery(v: GrafanaVariable): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition ?? '');
}

/** Every PromQL expression of the dashboard, with where it is. */
export function dashboardExpressions(d: GrafanaDashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (t.expr) out.push({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr });
    }
  }
  return out;
}

/** Metric names the dashboard uses: panel expressions and variable queries. */
export function dashboardMetricNames(d: GrafanaDashboard): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (name: string, where: string) => used.set(name, [...(used.get(name) ?? []), where]);
  for (const { where, expr } of dashboardExpressions(d)) {
    for (const n of metricNamesInExpr(expr)) add(n, where);
  }
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const metric = metricOfLabelValues(variableQuery(v));
    if (metric) add(metric, `variable ${v.name}`);
  }
  return used;
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; interval?: string; rules: AlertRule[] }[];
}

export function alertRules(file: RuleFile): AlertRule[] {
  return file.groups.flatMap((g) => g.rules);
}

/** Metric names the rules use. */
export function ruleMetricNames(file: RuleFile): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const r of alertRules(file)) {
    for (const n of metricNamesInExpr(r.expr)) {
      used.set(n, [...(used.get(n) ?? []), r.alert ?? r.record ?? '?']);
    }
  }
  return used;
}
