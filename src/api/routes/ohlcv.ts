/** `GET /ohlcv/{symbol}`: bars of 1m 5m 15m 1h 4h 1d rolled up from the 1-minute candles. */

import type { FastifyInstance } from 'fastify';
import { nowUs } from '../../core/time.js';
import { type ApiContext, elapsedMs } from '../context.js';
import { parseRange, resolveMarket } from '../input.js';
import { readBars } from '../ohlcv.js';
import { ERROR_RESPONSES, INTERVAL_SECONDS, OhlcvQuery, OhlcvResponse, SymbolParams } from '../schemas.js';

export function ohlcvRoutes(ctx: ApiContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: SymbolParams; Querystring: OhlcvQuery }>(
      '/ohlcv/:symbol',
      {
        schema: {
          summary: 'OHLCV bars of one market',
          description:
            "Bars aligned to the UTC epoch, rolled up exactly from 1-minute candles; only intervals with trades have a bar. Without start_time/end_time: the latest `limit` bars. With either: bars whose start is in [start_time, end_time] (missing start = 0, missing end = now), the oldest `limit` of them. Oldest first; `complete` is true once the bar's interval has ended.",
          tags: ['ohlcv'],
          params: SymbolParams,
          querystring: OhlcvQuery,
          response: { 200: OhlcvResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const t0 = performance.now();
        const q = req.query;
        const now = nowUs();
        const range = parseRange(q.start_time, q.end_time, now);
        const { exchange, symbol } = await resolveMarket(ctx.known, q.exchange, req.params.symbol);
        const data = await readBars(ctx.reader, {
          exchange,
          symbol,
          intervalS: INTERVAL_SECONDS[q.interval],
          limit: q.limit,
          range,
          nowS: now / 1_000_000,
        });
        return {
          data,
          symbol,
          exchange,
          interval: q.interval,
          count: data.length,
          processing_time_ms: elapsedMs(t0),
        };
      },
    );
  };
}
