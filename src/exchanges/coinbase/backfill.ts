/**
 * Coinbase Exchange REST back-fill: `GET /products/{id}/trades` pages newest first with
 * `after=<trade_id>` (= older than). We walk from the first live id down to the last
 * stored one, then release the range oldest first.
 */

import { isPlainDecimal } from '../../core/decimal.js';
import { nowUs, parseIsoToUs } from '../../core/time.js';
import type { Trade } from '../../core/types.js';
import type { BackfillFn } from '../adapter.js';
import { bucketFor, fetchJson, RestError } from '../rest-client.js';
import { takerSide } from './parse.js';
import type { CbRestTrade } from './protocol.js';

const PAGE = 1000;

export const coinbaseBackfill: BackfillFn = async function* (symbol, afterId, _afterTs, beforeId, options) {
  const bucket = bucketFor(options.baseUrl, options.requestsPerSecond);
  const collected: Trade[] = [];
  let cursor = beforeId;
  let fetched = 0;
  while (cursor - 1 > afterId) {
    const url = `${options.baseUrl}/products/${encodeURIComponent(symbol)}/trades?limit=${PAGE}&after=${cursor}`;
    const { body, headers } = await fetchJson<CbRestTrade[]>(url, { bucket, signal: options.signal });
    if (!Array.isArray(body)) throw new RestError(`unexpected trades response for ${symbol}`, 200, true);
    if (body.length === 0) break;
    const recvTs = nowUs();
    let oldest = cursor;
    for (const r of body) {
      const id = r.trade_id;
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) continue;
      oldest = Math.min(oldest, id);
      // The cursor's inclusivity is not documented: keep only the open range.
      if (id <= afterId || id >= beforeId) continue;
      const side = takerSide(r.side);
      const ts = parseIsoToUs(r.time);
      if (!side || ts === undefined || !isPlainDecimal(r.price) || !isPlainDecimal(r.size)) continue;
      collected.push({ exchange: 'coinbase', symbol, id, price: r.price, size: r.size, side, ts, recvTs });
    }
    fetched += body.length;
    options.onPage?.(fetched);
    const next = Number(headers.get('cb-after') ?? oldest);
    const nextCursor = Number.isSafeInteger(next) && next < cursor ? next : oldest;
    if (nextCursor >= cursor) break;
    cursor = nextCursor;
  }
  collected.sort((a, b) => a.id - b.id);
  if (collected.length > 0) yield dedupeSorted(collected);
};

function dedupeSorted(trades: Trade[]): Trade[] {
  const out: Trade[] = [];
  let last = -1;
  for (const t of trades) {
    if (t.id !== last) out.push(t);
    last = t.id;
  }
  return out;
}
