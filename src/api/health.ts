/** The `/health` answer (CONTRACT.md section 5), shared by the API and `collect`'s metrics port. */

import type { Collector, ExchangeHealth } from '../collector/collector.js';
import type { Store } from '../store/store.js';
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

export async function healthReport(store: Store, collector: Collector | undefined): Promise<HealthReport> {
  const storeUp = await store.ping();
  const collectors = collector?.health() ?? {};
  const collectorsOk = collector ? collector.isHealthy() : true;
  return {
    status: !storeUp ? 'down' : collectorsOk ? 'ok' : 'degraded',
    service: SERVICE_NAME,
    version: VERSION,
    timestamp: new Date().toISOString(),
    uptime_seconds: Math.round(process.uptime() * 1000) / 1000,
    components: { redis: storeUp ? 'healthy' : 'unhealthy', store: store.kind, collectors },
  };
}
