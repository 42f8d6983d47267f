/**
 * The dashboard's static files, read once and served from memory: the page and its script
 * and style (`public/`, copied next to the compiled code by `npm run build`), and the
 * TradingView lightweight-charts standalone bundle from node_modules (no CDN: the API must
 * work offline).
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

export interface DashboardAssets {
  page: Asset;
  /** By file name under `/assets/`. */
  files: Map<string, Asset>;
}

const PUBLIC_FILES: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** Where `public/` is: beside this module (dist after a build, src under tsx/vitest), else src. */
function publicDir(): string {
  const candidates = [
    fileURLToPath(new URL('./public/', import.meta.url)),
    fileURLToPath(new URL('../../../src/api/dashboard/public/', import.meta.url)),
  ];
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return dir;
}

function chartsBundle(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('lightweight-charts/package.json');
  return join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js');
}

function asset(body: Buffer, type: string, cacheControl: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag, cacheControl };
}

/** Reads every file; throws when one is missing (the caller serves 503 for the page then). */
export function loadDashboardAssets(): DashboardAssets {
  const dir = publicDir();
  const files = new Map<string, Asset>();
  for (const [name, type] of Object.entries(PUBLIC_FILES)) {
    files.set(name, asset(readFileSync(join(dir, name)), type, 'no-cache'));
  }
  files.set(
    'lightweight-charts.js',
    asset(readFileSync(chartsBundle()), 'text/javascript; charset=utf-8', 'public, max-age=86400'),
  );
  const page = asset(readFileSync(join(dir, 'index.html')), 'text/html; charset=utf-8', 'no-cache');
  return { page, files };
}

/**
 * The page's Content-Security-Policy: scripts and styles from this server only (no inline
 * code), network to this origin only (fetch and the `/stream` WebSocket).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
