/** Coinbase Exchange WebSocket and REST message shapes (see shared protocols/coinbase.md). */

export interface CbMatch {
  type: 'match' | 'last_match';
  trade_id: number;
  maker_order_id: string;
  taker_order_id: string;
  /** Maker order's side. */
  side: 'buy' | 'sell';
  size: string;
  price: string;
  product_id: string;
  sequence: number;
  time: string;
}

export interface CbSnapshot {
  type: 'snapshot';
  product_id: string;
  bids: [string, string][];
  asks: [string, string][];
  time?: string;
}

export interface CbL2Update {
  type: 'l2update';
  product_id: string;
  changes: ['buy' | 'sell', string, string][];
  time: string;
}

export interface CbHeartbeat {
  type: 'heartbeat';
  last_trade_id: number;
  product_id: string;
  sequence: number;
  time: string;
}

export interface CbSubscriptions {
  type: 'subscriptions';
  channels: { name: string; product_ids: string[]; account_ids?: null }[];
}

export interface CbError {
  type: 'error';
  message: string;
  reason?: string;
}

/** `GET /products/{id}/trades` item. `side` is the maker's. */
export interface CbRestTrade {
  time: string;
  trade_id: number;
  price: string;
  size: string;
  side: 'buy' | 'sell';
}

export interface CbProduct {
  id: string;
  base_currency: string;
  quote_currency: string;
  base_increment: string;
  quote_increment: string;
  display_name: string;
  min_market_funds: string;
  margin_enabled: boolean;
  post_only: boolean;
  limit_only: boolean;
  cancel_only: boolean;
  status: string;
  status_message: string;
  trading_disabled: boolean;
  fx_stablecoin: boolean;
  auction_mode: boolean;
}

/** The channel names we subscribe to; the ack lists `level2_batch` as `level2_50`. */
export const CB_CHANNELS = { trades: 'matches', book: 'level2_batch', heartbeat: 'heartbeat' } as const;
