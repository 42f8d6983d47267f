/** `alphapulse serve`: the HTTP API only, reading the store (Redis, or embedded when REDIS_URL is unset). */

import { startApiServer } from '../api/server.js';
import { HistoryReader } from '../archive/history.js';
import { type Config, describeConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { metrics } from '../metrics/registry.js';
import { createStore } from '../store/create-store.js';
import { stopOnSignal } from './lifecycle.js';

export async function serveCommand(config: Config): Promise<void> {
  const log = createLogger(config.LOG_LEVEL);
  log.info({ command: 'serve', config: describeConfig(config) }, 'starting');
  const m = metrics();
  const store = createStore(config, log, m);
  await store.connect();
  // Ranges older than the Redis retention are answered from the PostgreSQL history.
  const history = config.DATABASE_URL ? HistoryReader.fromUrl(config.DATABASE_URL, { log }) : undefined;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  try {
    api = await startApiServer({ config, store, metrics: m, log, history });
  } catch (e) {
    await history?.close();
    await store.close();
    throw e;
  }
  stopOnSignal(
    {
      async stop() {
        await api.close();
        await history?.close();
        await store.close();
      },
    },
    log,
  );
}
