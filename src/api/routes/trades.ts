/** `GET /trades/{symbol}` and `GET /trades/{symbol}/recent`. */

import type { FastifyInstance, FastifyReply } from 'fastify';
import { nowUs } from '../../core/time.js';
import type { Exchange } from '../../core/types.js';
import { type ApiContext, elapsedMs } from '../context.js';
import { parseRange, resolveMarket } from '../input.js';
import { type TradeSerializer, toTradeOut } from '../latest-trades.js';
import {
  ERROR_RESPONSES,
  RecentTradesQuery,
  SymbolParams,
  TradeSchema,
  TradesQuery,
  TradesResponse,
} from '../schemas.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function tradeRoutes(ctx: ApiContext) {
  let serializeTrade: TradeSerializer | undefined;

  /**
   * The latest trades, from the cache of already serialised trades: the answer is
   * assembled as text. Each trade is serialised by the route's own compiled
   * TradeSchema serializer, so the text is exactly what the schema would produce.
   */
  async function latest(reply: FastifyReply, exchange: Exchange, symbol: string, limit: number, t0: number) {
    serializeTrade ??= reply.compileSerializationSchema(TradeSchema) as TradeSerializer;
    const { json, count } = await ctx.latest.get(exchange, symbol, limit, serializeTrade);
    reply.type(JSON_TYPE);
    // exchange and symbol are validated names ([a-z] and [A-Z0-9-]): no escaping needed.
    return `{"data":${json},"symbol":"${symbol}","exchange":"${exchange}","count":${count},"processing_time_ms":${elapsedMs(t0)}}`;
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: SymbolParams; Querystring: TradesQuery }>(
      '/trades/:symbol',
      {
        schema: {
          summary: 'Trades of one market',
          description:
            'Without start_time/end_time: the latest `limit` trades. With either: trades whose event time is in [start_time, end_time] (missing start = 0, missing end = now), the oldest `limit` of them. Oldest first.',
          tags: ['trades'],
          params: SymbolParams,
          querystring: TradesQuery,
          response: { 200: TradesResponse, ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        const t0 = performance.now();
        const q = req.query;
        const range = parseRange(q.start_time, q.end_time, nowUs());
        const { exchange, symbol } = await resolveMarket(ctx.known, q.exchange, req.params.symbol);
        if (range === undefined) return latest(reply, exchange, symbol, q.limit, t0);
        const data = toTradeOut(
          await ctx.reader.tradesInRange(exchange, symbol, range.startUs, range.endUs, q.limit),
        );
        return { data, symbol, exchange, count: data.length, processing_time_ms: elapsedMs(t0) };
      },
    );

    app.get<{ Params: SymbolParams; Querystring: RecentTradesQuery }>(
      '/trades/:symbol/recent',
      {
        schema: {
          summary: 'Latest trades of one market',
          description: 'The latest `limit` trades, oldest first.',
          tags: ['trades'],
          params: SymbolParams,
          querystring: RecentTradesQuery,
          response: { 200: TradesResponse, ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        const t0 = performance.now();
        const { exchange, symbol } = await resolveMarket(ctx.known, req.query.exchange, req.params.symbol);
        return latest(reply, exchange, symbol, req.query.limit, t0);
      },
    );
  };
}
