/**
 * Every route's JSON schemas, declared once with TypeBox. Fastify uses them to validate
 * input (ajv), to serialise output (fast-json-stringify) and @fastify/swagger turns them
 * into the OpenAPI document served at /docs.
 */

import { type Static, Type } from '@sinclair/typebox';
import { EXCHANGES } from '../core/types.js';

// ---- shared pieces ----

export const LIMIT_MAX = 10_000;
export const LIMIT_DEFAULT = 100;
export const DEPTH_MAX = 1000;
export const DEPTH_DEFAULT = 20;

/** OHLCV intervals and their length in seconds. */
export const INTERVAL_SECONDS = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
  '4h': 14_400,
  '1d': 86_400,
} as const;
export type Interval = keyof typeof INTERVAL_SECONDS;
export const INTERVALS = Object.keys(INTERVAL_SECONDS) as Interval[];

/** `{"error": "<code>", "message": "<human text>"}`, the body of every error answer. */
export const ApiErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'machine-readable error code', examples: ['unknown_symbol'] }),
    message: Type.String({ description: 'human-readable explanation' }),
  },
  { $id: 'ApiError', additionalProperties: false, description: 'Error answer' },
);

const errorRef = Type.Ref(ApiErrorSchema);

/** The error answers a data route can give (auth, bad input, unknown names, storage down). */
export const ERROR_RESPONSES = {
  400: { ...errorRef, description: 'bad input (symbol, limit, time, interval)' },
  401: { ...errorRef, description: 'missing or wrong bearer token (when API_TOKEN is set)' },
  404: { ...errorRef, description: 'unknown exchange, symbol or route' },
  503: { ...errorRef, description: 'storage unavailable' },
} as const;

const symbolParam = Type.String({
  minLength: 1,
  maxLength: 40,
  description:
    'market symbol in any accepted spelling: BTC-USD, btc-usd, BTC/USD (URL-encoded BTC%2FUSD), XBT/USD; answers use the canonical BASE-QUOTE',
  examples: ['BTC-USD'],
});

const exchangeQuery = Type.String({
  minLength: 1,
  maxLength: 32,
  default: 'coinbase',
  description: `exchange, one of ${EXCHANGES.join(', ')}`,
  examples: ['coinbase'],
});

const limitQuery = Type.Integer({
  minimum: 1,
  maximum: LIMIT_MAX,
  default: LIMIT_DEFAULT,
  description: `maximum number of items returned, an integer 1..${LIMIT_MAX}`,
});

const timeQuery = (bound: 'start' | 'end') =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    description:
      bound === 'start'
        ? 'range start (inclusive): epoch seconds (integer or float, µs precision) or ISO-8601; default 0 when end_time is given'
        : 'range end (inclusive): epoch seconds (integer or float, µs precision) or ISO-8601; default now when start_time is given',
    examples: bound === 'start' ? ['1704067200.5', '2024-01-01T00:00:00Z'] : ['1704070800'],
  });

const depthQuery = Type.Integer({
  minimum: 1,
  maximum: DEPTH_MAX,
  default: DEPTH_DEFAULT,
  description: `price levels per side, 1..${DEPTH_MAX} (cut to what is stored)`,
});

const num = (description: string) => Type.Number({ description });

/** A plain `{"type":"string","enum":[...]}` (serialises faster than a union of literals). */
function stringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  });
}
const processingTime = num('server time spent on the answer, milliseconds');

// ---- parameters ----

export const SymbolParams = Type.Object({ symbol: symbolParam });
export type SymbolParams = Static<typeof SymbolParams>;

export const ExchangeParams = Type.Object({
  exchange: Type.String({
    minLength: 1,
    maxLength: 32,
    description: `exchange, one of ${EXCHANGES.join(', ')}`,
    examples: ['coinbase'],
  }),
});
export type ExchangeParams = Static<typeof ExchangeParams>;

/**
 * Parameters with a default are optional in the schema (and the OpenAPI document); ajv fills
 * the default in, so handlers see them set (the types below say so).
 */
type WithDefaults<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

export const TradesQuery = Type.Object({
  exchange: Type.Optional(exchangeQuery),
  start_time: Type.Optional(timeQuery('start')),
  end_time: Type.Optional(timeQuery('end')),
  limit: Type.Optional(limitQuery),
});
export type TradesQuery = WithDefaults<Static<typeof TradesQuery>, 'exchange' | 'limit'>;

export const RecentTradesQuery = Type.Object({
  exchange: Type.Optional(exchangeQuery),
  limit: Type.Optional(limitQuery),
});
export type RecentTradesQuery = WithDefaults<Static<typeof RecentTradesQuery>, 'exchange' | 'limit'>;

export const OhlcvQuery = Type.Object({
  exchange: Type.Optional(exchangeQuery),
  interval: Type.Optional(
    Type.Unsafe<Interval>({
      type: 'string',
      enum: INTERVALS,
      default: '1m',
      description: `bar length, one of ${INTERVALS.join(' ')}; bars are aligned to the UTC epoch`,
    }),
  ),
  start_time: Type.Optional(timeQuery('start')),
  end_time: Type.Optional(timeQuery('end')),
  limit: Type.Optional(limitQuery),
});
export type OhlcvQuery = WithDefaults<Static<typeof OhlcvQuery>, 'exchange' | 'interval' | 'limit'>;

export const OrderbookQuery = Type.Object({
  exchange: Type.Optional(exchangeQuery),
  depth: Type.Optional(depthQuery),
});
export type OrderbookQuery = WithDefaults<Static<typeof OrderbookQuery>, 'exchange' | 'depth'>;

export const ConsolidatedQuery = Type.Object({ depth: Type.Optional(depthQuery) });
export type ConsolidatedQuery = WithDefaults<Static<typeof ConsolidatedQuery>, 'depth'>;

// ---- answers ----

export const TradeSchema = Type.Object({
  timestamp: num('event time as the exchange stamped it, epoch seconds (µs precision)'),
  price: Type.Number(),
  volume: Type.Number({ description: 'trade size in the base asset' }),
  side: stringEnum(['buy', 'sell'] as const, 'taker (aggressor) side'),
  trade_id: Type.String({ description: "the exchange's trade id" }),
  symbol: Type.String({ description: 'canonical BASE-QUOTE' }),
  exchange: Type.String(),
});
export type TradeOut = Static<typeof TradeSchema>;

export const TradesResponse = Type.Object(
  {
    data: Type.Array(TradeSchema, { description: 'trades, oldest first' }),
    symbol: Type.String(),
    exchange: Type.String(),
    count: Type.Integer(),
    processing_time_ms: processingTime,
  },
  { description: 'trades of one market' },
);
export type TradesResponse = Static<typeof TradesResponse>;

export const BarSchema = Type.Object({
  timestamp: num('bar start, epoch seconds, aligned to the interval in UTC'),
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  close: Type.Number(),
  volume: Type.Number(),
  trades: Type.Integer({ description: 'number of trades in the bar' }),
  complete: Type.Boolean({ description: "true once the bar's interval has ended" }),
});
export type BarOut = Static<typeof BarSchema>;

export const OhlcvResponse = Type.Object(
  {
    data: Type.Array(BarSchema, { description: 'bars with at least one trade, oldest first' }),
    symbol: Type.String(),
    exchange: Type.String(),
    interval: Type.String(),
    count: Type.Integer(),
    processing_time_ms: processingTime,
  },
  { description: 'OHLCV bars of one market' },
);
export type OhlcvResponse = Static<typeof OhlcvResponse>;

export const SymbolsResponse = Type.Object(
  {
    symbols: Type.Array(Type.String(), { description: 'canonical symbols seen on the exchange, sorted' }),
    exchange: Type.String(),
    count: Type.Integer(),
    processing_time_ms: processingTime,
  },
  { description: 'symbols of one exchange' },
);
export type SymbolsResponse = Static<typeof SymbolsResponse>;

const nullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

export const SummaryResponse = Type.Object(
  {
    total_symbols: Type.Integer({ description: 'distinct symbols with trades, across exchanges' }),
    total_exchanges: Type.Integer({ description: 'exchanges with at least one market with trades' }),
    total_records: Type.Integer({ description: 'trades written, summed over every market' }),
    date_range: Type.Object({
      start: nullableNumber('event time of the earliest trade, epoch seconds (null when none)'),
      end: nullableNumber('event time of the latest trade, epoch seconds (null when none)'),
    }),
    symbols_by_exchange: Type.Record(Type.String(), Type.Array(Type.String()), {
      description: 'every supported exchange -> its symbols with trades',
    }),
    record_count_by_symbol: Type.Record(Type.String(), Type.Integer(), {
      description: '"exchange:SYMBOL" -> trades written',
    }),
    archived_records: Type.Optional(
      Type.Integer({ description: 'trades held in the PostgreSQL history (only with DATABASE_URL)' }),
    ),
    archived_count_by_symbol: Type.Optional(
      Type.Record(Type.String(), Type.Integer(), {
        description: '"exchange:SYMBOL" -> trades in the PostgreSQL history (only with DATABASE_URL)',
      }),
    ),
    processing_time_ms: processingTime,
  },
  { description: 'what the store holds' },
);
export type SummaryResponse = Static<typeof SummaryResponse>;

const LevelSchema = Type.Object({ price: Type.Number(), size: Type.Number() });

export const OrderbookResponse = Type.Object(
  {
    symbol: Type.String(),
    exchange: Type.String(),
    timestamp: num('time of the last book event, epoch seconds'),
    sequence: Type.Integer({ description: 'book update sequence' }),
    bids: Type.Array(LevelSchema, { description: 'best (highest) first' }),
    asks: Type.Array(LevelSchema, { description: 'best (lowest) first' }),
  },
  { description: 'order book of one market' },
);
export type OrderbookResponse = Static<typeof OrderbookResponse>;

const TaggedLevelSchema = Type.Object({ price: Type.Number(), size: Type.Number(), exchange: Type.String() });
export type TaggedLevel = Static<typeof TaggedLevelSchema>;
const nullableLevel = (description: string) => Type.Union([TaggedLevelSchema, Type.Null()], { description });

export const ConsolidatedResponse = Type.Object(
  {
    symbol: Type.String(),
    timestamp: nullableNumber('latest book time among the exchanges, epoch seconds (null when no book)'),
    exchanges: Type.Array(Type.String(), { description: 'exchanges that had a book for the symbol' }),
    bids: Type.Array(TaggedLevelSchema, { description: 'every exchange, price descending' }),
    asks: Type.Array(TaggedLevelSchema, { description: 'every exchange, price ascending' }),
    best_bid: nullableLevel('highest bid across exchanges'),
    best_ask: nullableLevel('lowest ask across exchanges'),
  },
  { description: "every exchange's levels merged" },
);
export type ConsolidatedResponse = Static<typeof ConsolidatedResponse>;

const ExchangeQuoteSchema = Type.Object({
  bid: nullableNumber('best bid'),
  ask: nullableNumber('best ask'),
  bid_size: nullableNumber('size at the best bid'),
  ask_size: nullableNumber('size at the best ask'),
  spread: nullableNumber('ask - bid on this exchange'),
  timestamp: num('time of the last book event, epoch seconds'),
});
export type ExchangeQuote = Static<typeof ExchangeQuoteSchema>;

export const SpreadResponse = Type.Object(
  {
    symbol: Type.String(),
    timestamp: nullableNumber('latest book time among the exchanges, epoch seconds (null when no book)'),
    exchanges: Type.Record(Type.String(), ExchangeQuoteSchema, {
      description: 'exchange -> its best bid and ask (only exchanges with a book)',
    }),
    best_bid: nullableLevel('highest bid across exchanges'),
    best_ask: nullableLevel('lowest ask across exchanges'),
    spread: nullableNumber('best ask - best bid across exchanges (negative when crossed)'),
    spread_bps: nullableNumber('spread in basis points of the mid price'),
    crossed: Type.Boolean({ description: "true when one exchange's best bid is above another's best ask" }),
  },
  { description: 'best bid/ask per exchange and across exchanges' },
);
export type SpreadResponse = Static<typeof SpreadResponse>;

export const HealthResponse = Type.Object(
  {
    status: stringEnum(['ok', 'degraded', 'down'] as const, 'down = the store does not answer (HTTP 503)'),
    service: Type.String(),
    version: Type.String(),
    timestamp: Type.String({ description: 'ISO-8601' }),
    uptime_seconds: Type.Number(),
    components: Type.Object({
      redis: stringEnum(['healthy', 'unhealthy'] as const, 'whether the store answers'),
      store: stringEnum(['redis', 'embedded'] as const),
      collectors: Type.Record(
        Type.String(),
        Type.Object({
          connected: Type.Boolean(),
          last_message_age_ms: Type.Union([Type.Number(), Type.Null()]),
        }),
      ),
    }),
  },
  { description: 'service health' },
);
