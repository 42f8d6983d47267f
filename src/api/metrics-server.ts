/**
 * `/metrics` and `/health` on METRICS_PORT, for processes without the API (`collect`,
 * `archive`). Two read-only routes: plain node:http keeps these processes lean.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: { contentType: string; metrics(): Promise<string> };
  /** The health answer and whether the process is up (false -> HTTP 503). */
  health: () => Promise<{ up: boolean; body: unknown }>;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const json = 'application/json; charset=utf-8';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(
          res,
          404,
          json,
          JSON.stringify({ error: 'not_found', message: `no route ${req.method} ${path}` }),
        );
      } else if (path === '/metrics') {
        send(res, 200, o.registry.contentType, await o.registry.metrics());
      } else if (path === '/health') {
        const h = await o.health();
        send(res, h.up ? 200 : 503, json, JSON.stringify(h.body));
      } else {
        send(res, 404, json, JSON.stringify({ error: 'not_found', message: `no route GET ${path}` }));
      }
    };
    answer().catch(() => {
      if (!res.headersSent)
        send(res, 500, json, JSON.stringify({ error: 'internal', message: 'internal error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
