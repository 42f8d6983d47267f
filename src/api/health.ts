/** The `/health` answer (CONTRACT.md section 5), shared by the API and `collect`'s metrics port. */

import type { Collector, ExchangeHealth } from '../collector/collector.js';
import type { CollectorReport, Store } from '../store/store.js';
import { SERVICE_NAME, VERSION } from '../version.js';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  service: string;
  version: string;
  timestamp: string;
  uptime_seconds: number;
  components: {
    redis: 'healthy' | 'unhealthy';
    store: 'redis' | 'embedded';
    collectors: Record<string, ExchangeHealth>;
  };
}

/** A report not refreshed for this long is from a collector that is gone. */
const REPORT_TTL_MS = 30_000;

/**
 * Collectors as published in the store by other processes (an API-only `serve`): one entry
 * per exchange, connected when any of its live reporters is, the freshest message age.
 */
export function fromReports(reports: readonly CollectorReport[], now = Date.now()) {
  const out: Record<string, ExchangeHealth> = {};
  let ok = true;
  const byExchange = new Map<string, CollectorReport[]>();
  for (const r of reports) byExchange.set(r.exchange, [...(byExchange.get(r.exchange) ?? []), r]);
  for (const [exchange, list] of byExchange) {
    const live = list.filter((r) => now - r.updatedAt <= REPORT_TTL_MS);
    const ages = live.filter((r) => r.lastMessageAt !== null).map((r) => now - r.lastMessageAt!);
    const h: ExchangeHealth = {
      connected: live.some((r) => r.connected),
      last_message_age_ms: ages.length > 0 ? Math.min(...ages) : null,
    };
    out[exchange] = h;
    const limit = Math.max(...list.map((r) => r.staleLimitMs));
    if (!h.connected || h.last_message_age_ms === null || h.last_message_age_ms > limit) ok = false;
  }
  return { collectors: out, ok };
}

export async function healthReport(store: Store, collector: Collector | undefined): Promise<HealthReport> {
  const storeUp = await store.ping();
  let collectors: Record<string, ExchangeHealth> = {};
  let collectorsOk = true;
  if (collector) {
    collectors = collector.health();
    collectorsOk = collector.isHealthy();
  } else if (storeUp) {
    // API-only process: what the collectors publish in the store.
    const r = fromReports(await store.collectorReports().catch(() => []));
    collectors = r.collectors;
    collectorsOk = r.ok;
  }
  return {
    status: !storeUp ? 'down' : collectorsOk ? 'ok' : 'degraded',
    service: SERVICE_NAME,
    version: VERSION,
    timestamp: new Date().toISOString(),
    uptime_seconds: Math.round(process.uptime() * 1000) / 1000,
    components: { redis: storeUp ? 'healthy' : 'unhealthy', store: store.kind, collectors },
  };
}
