/**
 * Reserved: the live part of the API (CONTRACT.md section 5), added by a later step.
 *
 *   GET /         the dashboard page (candles, trades, book, collector health)
 *   GET /stream   WebSocket of live trades/books; the client sends
 *                 {"op":"subscribe","channels":["trades","book"],"symbols":["BTC-USD"],"exchanges":["coinbase"]}
 *
 * They belong in this plugin (registered by server.ts after the data routes), reading through
 * ctx.reader / ctx.store.readStreams like every other route. Until then both answer 404.
 */

import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export function liveRoutes(_ctx: ApiContext) {
  return async function plugin(_app: FastifyInstance): Promise<void> {
    // Intentionally empty.
  };
}
