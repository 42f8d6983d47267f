/** `GET /symbols/{exchange}` and `GET /summary`. */

import type { FastifyInstance } from 'fastify';
import { usToSeconds } from '../../core/time.js';
import { EXCHANGES, marketKey } from '../../core/types.js';
import { type ApiContext, elapsedMs } from '../context.js';
import { resolveExchange } from '../input.js';
import { ERROR_RESPONSES, ExchangeParams, SummaryResponse, SymbolsResponse } from '../schemas.js';

export function marketRoutes(ctx: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: ExchangeParams }>(
      '/symbols/:exchange',
      {
        schema: {
          summary: 'Symbols of one exchange',
          description: 'Canonical symbols the store has seen on the exchange, sorted.',
          tags: ['markets'],
          params: ExchangeParams,
          response: {
            200: SymbolsResponse,
            401: ERROR_RESPONSES[401],
            404: ERROR_RESPONSES[404],
            503: ERROR_RESPONSES[503],
          },
        },
      },
      async (req) => {
        const t0 = performance.now();
        const exchange = resolveExchange(req.params.exchange);
        const symbols = [...(await ctx.known.list(exchange))].sort();
        return { symbols, exchange, count: symbols.length, processing_time_ms: elapsedMs(t0) };
      },
    );

    app.get(
      '/summary',
      {
        schema: {
          summary: 'What the store holds',
          description:
            'Counts from the per-market stats (never a scan of the streams). total_records = trades written; a market counts once it has a trade.',
          tags: ['markets'],
          response: { 200: SummaryResponse, 401: ERROR_RESPONSES[401], 503: ERROR_RESPONSES[503] },
        },
      },
      async (): Promise<SummaryResponse> => {
        const t0 = performance.now();
        const stats = await ctx.reader.allSpans(EXCHANGES);
        const symbolsByExchange: Record<string, string[]> = {};
        for (const ex of EXCHANGES) symbolsByExchange[ex] = [];
        const recordCount: Record<string, number> = {};
        const archivedCount: Record<string, number> = {};
        let archived = 0;
        const distinct = new Set<string>();
        let total = 0;
        let first = Number.POSITIVE_INFINITY;
        let last = Number.NEGATIVE_INFINITY;
        for (const s of stats) {
          if (s.count <= 0) continue;
          symbolsByExchange[s.exchange]!.push(s.symbol);
          recordCount[marketKey(s.exchange, s.symbol)] = s.count;
          if (ctx.reader.history) archivedCount[marketKey(s.exchange, s.symbol)] = s.archived;
          archived += s.archived;
          distinct.add(s.symbol);
          total += s.count;
          if (s.firstTs < first) first = s.firstTs;
          if (s.lastTs > last) last = s.lastTs;
        }
        for (const list of Object.values(symbolsByExchange)) list.sort();
        return {
          total_symbols: distinct.size,
          total_exchanges: Object.values(symbolsByExchange).filter((l) => l.length > 0).length,
          total_records: total,
          date_range: {
            start: Number.isFinite(first) ? usToSeconds(first) : null,
            end: Number.isFinite(last) ? usToSeconds(last) : null,
          },
          symbols_by_exchange: symbolsByExchange,
          record_count_by_symbol: recordCount,
          ...(ctx.reader.history
            ? { archived_records: archived, archived_count_by_symbol: archivedCount }
            : {}),
          processing_time_ms: elapsedMs(t0),
        };
      },
    );
  };
}
