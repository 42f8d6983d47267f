/** `alphapulse collect`: collectors only; /metrics and /health on METRICS_PORT. */

import { healthReport } from '../api/health.js';
import { startMetricsServer } from '../api/metrics-server.js';
import { Collector } from '../collector/collector.js';
import { type Config, describeConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { backfillProgress } from '../core/progress.js';
import { metrics } from '../metrics/registry.js';
import { createStore } from '../store/create-store.js';
import { stopOnSignal } from './lifecycle.js';

export async function collectCommand(config: Config): Promise<void> {
  const log = createLogger(config.LOG_LEVEL);
  log.info({ command: 'collect', config: describeConfig(config) }, 'starting');
  const m = metrics();
  const store = createStore(config, log, m);
  await store.connect();
  // Benchmarks ask for end-to-end latency (exchange send -> store ack) per trade.
  const latencyFile = process.env.ALPHAPULSE_LATENCY_FILE;
  // Loaded only then: the HDR histogram library is not needed in production.
  const latency = latencyFile
    ? new (await import('../bench/latency-recorder.js')).LatencyRecorder()
    : undefined;
  const collector = new Collector({
    config,
    store,
    metrics: m,
    log,
    onWritten: latency ? (_ex, _sym, trades, ackUs) => latency.record(trades, ackUs) : undefined,
    onBackfillProgress: backfillProgress(),
  });
  await collector.start();
  const server = await startMetricsServer({
    host: config.API_HOST,
    port: config.METRICS_PORT,
    registry: m.registry,
    health: async () => {
      const body = await healthReport(store, collector);
      return { up: body.status !== 'down', body };
    },
  });
  log.info({ url: `${server.url}/metrics` }, 'metrics and health listening');
  stopOnSignal(
    {
      async stop() {
        await collector.stop();
        if (latency && latencyFile) latency.writeTo(latencyFile);
        await server.close();
        await store.close();
      },
    },
    log,
  );
}
