/**
 * Text formatting of simulated exchange data. Prices and sizes are integers in units of
 * 10^-decimals (ticks, 1e-8 lots) so the text is exact; these helpers turn them into the
 * decimal strings the exchanges send, cheaply enough for the per-trade hot path.
 */

import { mix32 } from './prng.js';

/** `units` * 10^-decimals with exactly `decimals` fractional digits (`6225.32000000`). */
export function fixedText(units: number, decimals: number): string {
  const s = String(units);
  if (decimals === 0) return s;
  if (s.length > decimals) return `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  return `0.${s.padStart(decimals, '0')}`;
}

/** Like fixedText with trailing fractional zeros trimmed (`985`, `0.00001305`), as trades are sent. */
export function trimmedText(units: number, decimals: number): string {
  let u = units;
  let d = decimals;
  while (d > 0 && u % 10 === 0 && u !== 0) {
    u /= 10;
    d--;
  }
  return fixedText(u, d);
}

/** Price ticks (10^-priceDecimals) as text with `decimals` >= priceDecimals fractional digits. */
export function paddedText(ticks: number, priceDecimals: number, decimals: number): string {
  const text = fixedText(ticks, priceDecimals);
  const extra = decimals - priceDecimals;
  if (extra <= 0) return text;
  return priceDecimals === 0 ? `${text}.${'0'.repeat(extra)}` : text + '0'.repeat(extra);
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * Epoch µs -> `2026-01-02T03:04:05.123456Z`. Consecutive trades share their second, so the
 * `YYYY-MM-DDTHH:MM:SS` prefix is cached instead of building a Date per trade.
 */
export function isoMicros(us: number): string {
  const second = Math.floor(us / 1_000_000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const micros = us - second * 1_000_000;
  return `${isoPrefix}.${micros < 100_000 ? String(micros).padStart(6, '0') : micros}Z`;
}

/** Epoch µs -> epoch seconds with exactly 6 decimals, as JSON number text (`1700000000.000123`). */
export function secondsText(us: number): string {
  const second = Math.floor(us / 1_000_000);
  return `${second}.${String(us - second * 1_000_000).padStart(6, '0')}`;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where a UUID is assembled: one string allocation per id instead of a dozen pieces. */
const uuidScratch = Buffer.alloc(36);

/** Writes the low `digits` hex digits of n at p. */
function putHex(n: number, p: number, digits: number): void {
  let v = n;
  for (let k = digits - 1; k >= 0; k--) {
    uuidScratch[p + k] = HEX[v & 15]!;
    v >>>= 4;
  }
}

/**
 * A UUID-shaped id derived from a number (Coinbase order ids). Deterministic and cheap;
 * not random and not unique across salts, which a simulator does not need.
 */
export function uuidFrom(n: number, salt: number): string {
  const a = mix32(n ^ salt);
  const b = mix32(a + 0x9e3779b9);
  const c = mix32(b ^ n);
  const d = mix32(c + salt);
  // hex(a) - hex(b)[0..4] - 4 hex(b)[5..8] - [89ab] hex(c)[1..4] - hex(c)[4..8] hex(d)
  const u = uuidScratch;
  putHex(a, 0, 8);
  u[8] = 45;
  putHex(b >>> 16, 9, 4);
  u[13] = 45;
  u[14] = 52;
  putHex(b & 0xfff, 15, 3);
  u[18] = 45;
  u[19] = HEX[8 + (c & 3)]!;
  putHex((c >>> 16) & 0xfff, 20, 3);
  u[23] = 45;
  putHex(c & 0xffff, 24, 4);
  putHex(d, 28, 8);
  return u.toString('latin1', 0, 36);
}
