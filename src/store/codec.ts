/** Stream entry <-> domain object encoding, shared by the Redis and embedded stores. */

import { isExchange, type LevelText, type Side } from '../core/types.js';
import type { BookEntry, StoredBookEntry, StoredTrade } from './store.js';

/** A raw stream entry as Redis returns it: `[id, [field, value, ...]]`. */
export type RawEntry = [id: string, fields: string[]];

/** Field/value list of a trade, in the contract's order. */
export function tradeFields(
  exchange: string,
  symbol: string,
  t: { id: number; price: string; size: string; side: Side; ts: number; recvTs: number },
): string[] {
  return [
    'exchange',
    exchange,
    'symbol',
    symbol,
    'trade_id',
    String(t.id),
    'price',
    t.price,
    'size',
    t.size,
    'side',
    t.side,
    'ts',
    String(t.ts),
    'recv_ts',
    String(t.recvTs),
  ];
}

function fieldMap(fields: readonly string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  return m;
}

/** Decodes a trade entry; undefined when it is not one (foreign writers). */
export function decodeTrade(entry: RawEntry): StoredTrade | undefined {
  const f = fieldMap(entry[1]);
  const exchange = f.exchange;
  if (!exchange || !isExchange(exchange) || !f.symbol || !f.price || !f.size) return undefined;
  const side = f.side === 'buy' || f.side === 'sell' ? f.side : undefined;
  const id = Number(f.trade_id);
  const ts = Number(f.ts);
  if (!side || !Number.isFinite(id) || !Number.isFinite(ts)) return undefined;
  return {
    streamId: entry[0],
    exchange,
    symbol: f.symbol,
    id,
    price: f.price,
    size: f.size,
    side,
    ts,
    recvTs: Number(f.recv_ts ?? ts),
  };
}

export function bookFields(e: BookEntry): string[] {
  return [
    'type',
    e.type,
    'bids',
    JSON.stringify(e.bids),
    'asks',
    JSON.stringify(e.asks),
    'seq',
    String(e.seq),
    'ts',
    String(e.ts),
  ];
}

function levels(json: string | undefined): LevelText[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as LevelText[]) : [];
  } catch {
    return [];
  }
}

export function decodeBook(entry: RawEntry): StoredBookEntry | undefined {
  const f = fieldMap(entry[1]);
  const type = f.type;
  if (type !== 'snapshot' && type !== 'update' && type !== 'book_reset') return undefined;
  return {
    streamId: entry[0],
    type,
    bids: levels(f.bids),
    asks: levels(f.asks),
    seq: Number(f.seq ?? 0),
    ts: Number(f.ts ?? 0),
  };
}
