/**
 * Where the collector under test reads trades from: the `alphapulse simulate` process when it
 * is available, otherwise a minimal in-test Coinbase ws-feed (real message shapes, see
 * /work/shared/fixtures/coinbase) so that the scrape still comes from a collector that has
 * processed trades.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { ROOT } from './helpers.js';

export const CLI = join(ROOT, 'bin/alphapulse.js');

export interface Feed {
  kind: 'simulator' | 'in-test coinbase feed';
  /** Environment for the collector: EXCHANGES, SYMBOLS and the exchange URLs. */
  env: Record<string, string>;
  /** Output of the feed, for failure messages. */
  log: () => string;
  close: () => Promise<void>;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 6000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `alphapulse simulate` on free ports and reads the `export NAME=value` lines it
 * prints. Resolves undefined when the simulator exits or prints no URLs within `timeoutMs`.
 */
export async function startSimulator(symbols: string, timeoutMs = 15_000): Promise<Feed | undefined> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'simulate',
      '--coinbase-port',
      '0',
      '--kraken-port',
      '0',
      '--rate',
      '20',
      '--symbols',
      symbols,
      '--seed',
      '7',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  let out = '';
  const exports: Record<string, string> = {};
  const done = await new Promise<boolean>((resolve) => {
    let settleTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/^(?:export\s+)?([A-Z_]+_URL)=["']?([^"'\s]+)["']?\s*$/gm)) {
        exports[m[1]!] = m[2]!;
      }
      if (exports.COINBASE_WS_URL && exports.KRAKEN_WS_URL && !settleTimer) {
        // The REST URLs are printed with them; give the rest of the block a moment.
        settleTimer = setTimeout(() => finish(true), 300);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => finish(Boolean(exports.COINBASE_WS_URL && exports.KRAKEN_WS_URL)));
  });
  if (!done || child.exitCode !== null) {
    await stopChild(child, 2000);
    return undefined;
  }
  return {
    kind: 'simulator',
    env: { EXCHANGES: 'coinbase,kraken', SYMBOLS: symbols, ...exports },
    log: () => out,
    close: () => stopChild(child),
  };
}

/**
 * A Coinbase Exchange ws-feed with just enough protocol for the collector: the
 * `subscriptions` ack, `last_match` then consecutive `match` frames per product, heartbeats
 * carrying `last_trade_id`, and a level2_batch snapshot plus `l2update`s when asked. REST
 * answers 404 (no back-fill is needed: trade ids have no gaps).
 */
export async function startCoinbaseFeed(symbols: string, tradesPerSecond = 20): Promise<Feed> {
  const lines: string[] = [];
  const http: Server = createServer((req, res) => {
    lines.push(`REST ${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"NotFound"}');
  });
  const wss = new WebSocketServer({ server: http });
  const timers = new Set<NodeJS.Timeout>();
  let nextTradeId = 50_000;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      let msg: { type?: string; product_ids?: string[]; channels?: (string | { name: string })[] };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      lines.push(`WS ${String(data)}`);
      if (msg.type !== 'subscribe' || !Array.isArray(msg.product_ids)) return;
      const products = msg.product_ids;
      const channels = (msg.channels ?? []).map((c) => (typeof c === 'string' ? c : c.name));
      ws.send(
        JSON.stringify({
          type: 'subscriptions',
          channels: channels.map((name) => ({
            name: name === 'level2_batch' ? 'level2_50' : name,
            product_ids: products,
          })),
        }),
      );
      const ids = new Map(products.map((p, i) => [p, nextTradeId + i * 1_000_000]));
      nextTradeId += 10_000_000;
      const match = (type: 'match' | 'last_match', product: string) => {
        const id = ids.get(product)! + 1;
        ids.set(product, id);
        const price = (43_000 + (id % 100) / 10).toFixed(2);
        return JSON.stringify({
          type,
          trade_id: id,
          maker_order_id: 'ac928c66-ca53-498f-9c13-a110027a60e8',
          taker_order_id: '132fb6ae-456b-4654-b4e0-d681ac05cea1',
          side: id % 2 === 0 ? 'buy' : 'sell',
          size: '0.01000000',
          price,
          product_id: product,
          sequence: id * 10,
          time: new Date().toISOString(),
        });
      };
      if (channels.includes('matches')) for (const p of products) ws.send(match('last_match', p));
      if (channels.includes('level2_batch')) {
        for (const p of products) {
          ws.send(
            JSON.stringify({
              type: 'snapshot',
              product_id: p,
              bids: [
                ['42999.00', '1.50000000'],
                ['42998.00', '2.00000000'],
              ],
              asks: [
                ['43101.00', '1.25000000'],
                ['43102.00', '3.00000000'],
              ],
            }),
          );
        }
      }
      let tick = 0;
      const timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        tick++;
        for (const p of products) {
          if (channels.includes('matches')) ws.send(match('match', p));
          if (channels.includes('level2_batch') && tick % 2 === 0) {
            ws.send(
              JSON.stringify({
                type: 'l2update',
                product_id: p,
                changes: [['buy', '42999.00', `${(1 + (tick % 5) / 10).toFixed(8)}`]],
                time: new Date().toISOString(),
              }),
            );
          }
          if (channels.includes('heartbeat') && tick % tradesPerSecond === 0) {
            ws.send(
              JSON.stringify({
                type: 'heartbeat',
                sequence: ids.get(p)! * 10 + 1,
                last_trade_id: ids.get(p)!,
                product_id: p,
                time: new Date().toISOString(),
              }),
            );
          }
        }
      }, 1000 / tradesPerSecond);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    kind: 'in-test coinbase feed',
    env: {
      EXCHANGES: 'coinbase',
      SYMBOLS: symbols,
      COINBASE_WS_URL: `ws://127.0.0.1:${port}`,
      COINBASE_REST_URL: `http://127.0.0.1:${port}`,
    },
    log: () => lines.slice(-50).join('\n'),
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
