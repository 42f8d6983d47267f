/**
 * `alphapulse archive`: the history writer, Redis trade streams -> PostgreSQL, until
 * SIGINT/SIGTERM (then the in-flight batch commits and is acknowledged, exit 0).
 * Serves /metrics and /health on METRICS_PORT (0 = any free port). Tuning: ARCHIVE_CONSUMER,
 * ARCHIVE_BATCH_SIZE, ARCHIVE_CLAIM_IDLE_MS, ARCHIVE_CLAIM_INTERVAL_MS (see the configuration).
 */

import { type MetricsServer, startMetricsServer } from '../api/metrics-server.js';
import { type Archiver, createArchiver } from '../archive/archiver.js';
import { type Config, describeConfig } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { metrics as processMetrics } from '../metrics/registry.js';
import { SERVICE_NAME, VERSION } from '../version.js';
import { stopOnSignal } from './lifecycle.js';
import { usageError } from './usage.js';

export async function archiveCommand(config: Config, _opts?: unknown): Promise<void> {
  if (!config.DATABASE_URL)
    usageError('archive needs DATABASE_URL (a postgres:// URL of the history database)');
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) {
    usageError('archive needs REDIS_URL or REDIS_CLUSTER_NODES (the Redis holding the trade streams)');
  }
  const log = createLogger(config.LOG_LEVEL);
  log.info({ command: 'archive', config: describeConfig(config) }, 'starting');
  const m = processMetrics();
  const archiver = createArchiver(config, { log, metrics: m });
  await archiver.start();
  const server = await startArchiveMetricsServer(config, archiver, m.registry, log);
  stopOnSignal(
    {
      async stop() {
        await archiver.stop();
        await server?.close();
      },
    },
    log,
  );
}

/**
 * /metrics and /health for a stand-alone archiver. A port already taken (e.g. by `collect`
 * on the same host with the same METRICS_PORT) is logged and skipped: archiving goes on.
 */
async function startArchiveMetricsServer(
  config: Config,
  archiver: Archiver,
  registry: { contentType: string; metrics(): Promise<string> },
  log: Logger,
): Promise<MetricsServer | undefined> {
  try {
    const server = await startMetricsServer({
      host: config.API_HOST,
      port: config.METRICS_PORT,
      registry,
      health: async () => {
        const h = await archiver.health();
        const up = h.redis && h.postgres;
        return {
          up,
          body: {
            status: up ? 'ok' : 'down',
            service: SERVICE_NAME,
            version: VERSION,
            timestamp: new Date().toISOString(),
            uptime_seconds: Math.round(process.uptime() * 1000) / 1000,
            components: {
              redis: h.redis ? 'healthy' : 'unhealthy',
              postgres: h.postgres ? 'healthy' : 'unhealthy',
              archive: {
                consumer: archiver.consumer,
                storage: archiver.storage ?? null,
                markets: archiver.marketKeys,
              },
            },
          },
        };
      },
    });
    log.info({ url: `${server.url}/metrics` }, 'archive metrics and health listening');
    return server;
  } catch (e) {
    log.warn(
      { err: (e as Error).message, port: config.METRICS_PORT },
      'archive metrics server not started (set METRICS_PORT to a free port); archiving continues',
    );
    return undefined;
  }
}
