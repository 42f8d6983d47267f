/** Time helpers. Redis keeps integer epoch microseconds; the API speaks float seconds. */

import { performance } from 'node:perf_hooks';

// performance.now() is monotonic with sub-µs resolution; anchored to the wall clock at
// performance.timeOrigin (µs-precise, unlike Date.now()) it gives epoch µs that agree
// across processes on one host, without a syscall per trade.
let originUs = Math.round(performance.timeOrigin * 1000);

/** Current time, epoch microseconds (integer). */
export function nowUs(): number {
  return originUs + Math.round(performance.now() * 1000);
}

// If the wall clock is stepped (NTP, an operator), follow it; slewing keeps both in step.
setInterval(() => {
  const drift = Date.now() * 1000 - nowUs();
  if (Math.abs(drift) > 5000) originUs += drift;
}, 1000).unref();

let cachedPrefix = '';
let cachedSeconds = 0;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an RFC 3339 / ISO-8601 UTC timestamp with 0-9 fractional digits into epoch µs.
 * Returns undefined for malformed text and for the year-0001 "zero time" sentinel.
 * `start`/`end` read a timestamp inside a larger text (a frame) without copying it out.
 * The seconds part is cached: consecutive trades usually share it.
 */
export function parseIsoToUs(
  text: string,
  start = 0,
  end = typeof text === 'string' ? text.length : 0,
): number | undefined {
  if (typeof text !== 'string' || end - start < 20) return undefined;
  if (cachedPrefix === '' || !text.startsWith(cachedPrefix, start)) return parseSlow(text.slice(start, end));
  // Fast path, no allocation: the rest must be `Z` or `.<1-9 digits>Z`.
  const n = end - start;
  if (text.charCodeAt(end - 1) !== 90) return parseSlow(text.slice(start, end));
  if (n === 20) return cachedSeconds * 1_000_000;
  if (text.charCodeAt(start + 19) !== 46 || n > 30 || n < 22) return parseSlow(text.slice(start, end));
  let micros = 0;
  for (let i = 20; i < 26; i++) {
    let d = 0;
    if (i < n - 1) {
      d = text.charCodeAt(start + i) - 48;
      if (d < 0 || d > 9) return parseSlow(text.slice(start, end));
    }
    micros = micros * 10 + d;
  }
  for (let i = 26; i < n - 1; i++) {
    const d = text.charCodeAt(start + i) - 48;
    if (d < 0 || d > 9) return parseSlow(text.slice(start, end));
  }
  return cachedSeconds * 1_000_000 + micros;
}

function fractionToUs(rest: string): number {
  if (rest.length < 2 || rest.charCodeAt(0) !== 46) return 0;
  let end = rest.length;
  if (rest.charCodeAt(end - 1) === 90) end--;
  const digits = rest.slice(1, end);
  if (digits.length >= 6) return Number(digits.slice(0, 6));
  return Number(digits.padEnd(6, '0'));
}

function parseSlow(text: string): number | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (year < 1970) return undefined;
  let ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return undefined;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const hh = Number(zone.slice(1, 3));
    const mm = Number(zone.slice(-2));
    ms -= sign * (hh * 60 + mm) * 60_000;
  } else if (zone === 'Z') {
    cachedPrefix = text.slice(0, 19);
    cachedSeconds = ms / 1000;
  }
  const frac = m[7] ? `.${m[7]}` : '';
  return (ms / 1000) * 1_000_000 + fractionToUs(frac);
}

/** Epoch µs -> ISO-8601 with microseconds (`2024-01-01T00:00:00.123456Z`). */
export function usToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString(); // ...SS.mmmZ
  const micros = String(us % 1_000_000).padStart(6, '0');
  return `${base.slice(0, 19)}.${micros}Z`;
}

/** Epoch µs -> epoch seconds as a float with µs precision (API format). */
export function usToSeconds(us: number): number {
  return us / 1_000_000;
}

const EPOCH_RE = /^(\d{1,11})(?:\.(\d+))?$/;
/** Calendar fields in range (Date.UTC would roll 2024-13-45 over into 2025). */
const ISO_FIELDS_RE =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:$|[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)/;

/**
 * Parses an API time parameter: epoch seconds (integer or float, rounded to the nearest
 * µs, so a float such as Python's `datetime.timestamp()` maps back to its exact µs) or
 * ISO-8601. Returns epoch µs, or undefined when it is neither.
 */
export function parseApiTime(text: string): number | undefined {
  const t = text.trim();
  const m = EPOCH_RE.exec(t);
  if (m) {
    const frac = m[2] ?? '';
    const micros =
      frac.length <= 6
        ? Number(frac.padEnd(6, '0'))
        : Math.round(Number(`${frac.slice(0, 6)}.${frac.slice(6, 15)}`));
    return Number(m[1]) * 1_000_000 + micros;
  }
  if (t.length > 40 || !ISO_FIELDS_RE.test(t)) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return parseSlow(`${t}T00:00:00Z`);
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t.slice(19)) ? t.replace(/z$/, 'Z') : `${t}Z`;
  return parseSlow(withZone);
}
