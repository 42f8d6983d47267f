/**
 * Kraken REST back-fill: `GET /0/public/Trades?pair=&since=` pages forward in time,
 * oldest first, with a nanosecond `last` cursor. We start just before the last stored
 * trade's time and de-duplicate by trade id (the cursor's inclusivity is undocumented).
 */

import { isPlainDecimal } from '../../core/decimal.js';
import { nowUs } from '../../core/time.js';
import type { Trade } from '../../core/types.js';
import type { BackfillFn } from '../adapter.js';
import { bucketFor, fetchJson, RestError } from '../rest-client.js';
import { type KrRestTradeRow, krakenRestPair } from './protocol.js';

interface TradesResponse {
  error: string[];
  result?: Record<string, KrRestTradeRow[] | string>;
}

const PAGE = 1000;

export const krakenBackfill: BackfillFn = async function* (symbol, afterId, afterTs, beforeId, options) {
  const bucket = bucketFor(options.baseUrl, options.requestsPerSecond);
  const pair = krakenRestPair(symbol);
  // One µs before the last stored trade, in ns, so trades sharing its timestamp are included.
  let since = BigInt(Math.max(0, afterTs - 1)) * 1000n;
  let fetched = 0;
  let lastId = afterId;
  for (;;) {
    const url = `${options.baseUrl}/0/public/Trades?pair=${pair}&since=${since}&count=${PAGE}`;
    const { body } = await fetchJson<TradesResponse>(url, { bucket, signal: options.signal });
    if (!body || !Array.isArray(body.error))
      throw new RestError(`unexpected Trades response for ${pair}`, 200, true);
    if (body.error.length > 0) {
      const msg = body.error.join('; ');
      throw new RestError(`Kraken Trades ${pair}: ${msg}`, 200, /Rate limit|Throttled|EService/i.test(msg));
    }
    const result = body.result ?? {};
    const rowsKey = Object.keys(result).find((k) => k !== 'last');
    const rows = rowsKey ? (result[rowsKey] as KrRestTradeRow[]) : [];
    const last = typeof result.last === 'string' ? result.last : undefined;
    if (!Array.isArray(rows) || rows.length === 0) return;
    const recvTs = nowUs();
    const page: Trade[] = [];
    let reachedEnd = false;
    for (const r of rows) {
      const id = r[6];
      if (typeof id !== 'number' || !Number.isSafeInteger(id)) continue;
      if (id >= beforeId) {
        reachedEnd = true;
        break;
      }
      if (id <= lastId) continue;
      const [price, size, time, side] = r;
      if (!isPlainDecimal(price) || !isPlainDecimal(size) || typeof time !== 'number') continue;
      page.push({
        exchange: 'kraken',
        symbol,
        id,
        price,
        size,
        side: side === 'b' ? 'buy' : 'sell',
        ts: Math.round(time * 1_000_000),
        recvTs,
      });
      lastId = id;
    }
    fetched += rows.length;
    options.onPage?.(fetched);
    if (page.length > 0) yield page;
    if (reachedEnd || !last) return;
    // Step back 1 µs so trades sharing the page's last timestamp are not skipped.
    let next = BigInt(last) - 1000n;
    if (next <= since) next = BigInt(last);
    if (next <= since) return;
    since = next;
  }
};
