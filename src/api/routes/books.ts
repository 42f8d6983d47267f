/** `GET /orderbook/{symbol}`, `GET /orderbook/{symbol}/consolidated` and `GET /spread/{symbol}`. */

import type { FastifyInstance } from 'fastify';
import { EXCHANGES, type Exchange } from '../../core/types.js';
import type { BookTop } from '../../store/store.js';
import { consolidatedAnswer, orderbookAnswer, spreadAnswer } from '../books.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';
import { resolveMarket, resolveSymbolText } from '../input.js';
import {
  ConsolidatedQuery,
  ConsolidatedResponse,
  ERROR_RESPONSES,
  OrderbookQuery,
  OrderbookResponse,
  SpreadResponse,
  SymbolParams,
} from '../schemas.js';

export function bookRoutes(ctx: ApiContext) {
  /** The current books of `symbol` on every exchange that knows it (404 when none does). */
  async function booksOf(rawSymbol: string): Promise<{ symbol: string; tops: BookTop[] }> {
    const symbol = resolveSymbolText(rawSymbol);
    const known: Exchange[] = [];
    for (const ex of EXCHANGES) {
      const has = ctx.known.has(ex, symbol);
      if (has === true || (await has)) known.push(ex);
    }
    if (known.length === 0) throw notFound('unknown_symbol', `no data for ${symbol} on any exchange`);
    const tops = await Promise.all(known.map((ex) => ctx.reader.bookTop(ex, symbol)));
    return { symbol, tops: tops.filter((t): t is BookTop => t !== undefined) };
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: SymbolParams; Querystring: OrderbookQuery }>(
      '/orderbook/:symbol',
      {
        schema: {
          summary: 'Order book of one market',
          description:
            'The current book, `depth` levels per side (cut to what is stored), best first. 404 `no_order_book` when the market has no book stored (BOOK_DEPTH=0 or none received yet).',
          tags: ['books'],
          params: SymbolParams,
          querystring: OrderbookQuery,
          response: { 200: OrderbookResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { exchange, symbol } = await resolveMarket(ctx.known, req.query.exchange, req.params.symbol);
        const top = await ctx.reader.bookTop(exchange, symbol);
        if (!top) throw notFound('no_order_book', `no order book stored for ${symbol} on ${exchange}`);
        return orderbookAnswer({ ...top, exchange, symbol }, req.query.depth);
      },
    );

    app.get<{ Params: SymbolParams; Querystring: ConsolidatedQuery }>(
      '/orderbook/:symbol/consolidated',
      {
        schema: {
          summary: "Every exchange's book of a symbol, merged",
          description:
            'Levels of every exchange with a book, each tagged with its exchange: bids by price descending, asks ascending (ties by exchange name), at most `depth` per side, plus the best bid and ask across exchanges.',
          tags: ['books'],
          params: SymbolParams,
          querystring: ConsolidatedQuery,
          response: { 200: ConsolidatedResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { symbol, tops } = await booksOf(req.params.symbol);
        return consolidatedAnswer(symbol, tops, req.query.depth);
      },
    );

    app.get<{ Params: SymbolParams }>(
      '/spread/:symbol',
      {
        schema: {
          summary: 'Best bid and ask per exchange and across exchanges',
          description:
            "Each exchange's best bid/ask and spread, the best bid and ask across exchanges, their spread (best ask - best bid; negative when crossed) in price and basis points of the mid, and `crossed`: one exchange's best bid is above another's best ask.",
          tags: ['books'],
          params: SymbolParams,
          response: { 200: SpreadResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { symbol, tops } = await booksOf(req.params.symbol);
        return spreadAnswer(symbol, tops);
      },
    );
  };
}
