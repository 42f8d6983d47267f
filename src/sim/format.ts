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

/** "00".."ff": a UUID is built from table lookups (toString(16) + padStart was the simulator's largest cost). */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex of the 16-bit halves of an unsigned 32-bit n. */
function hex4hi(n: number): string {
  return HEX2[n >>> 24]! + HEX2[(n >>> 16) & 255]!;
}
function hex4lo(n: number): string {
  return HEX2[(n >>> 8) & 255]! + HEX2[n & 255]!;
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
  // hb[5..8] and hc[1..4] of the 8-digit hex strings, one nibble shifted out each.
  const b3 = HEX2[(b >>> 8) & 255]!.slice(1) + HEX2[b & 255]!;
  const c1 = HEX2[c >>> 24]!.slice(1) + HEX2[(c >>> 16) & 255]!;
  return `${hex4hi(a)}${hex4lo(a)}-${hex4hi(b)}-4${b3}-${'89ab'[c & 3]}${c1}-${hex4lo(c)}${hex4hi(d)}${hex4lo(d)}`;
}
