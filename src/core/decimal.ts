/**
 * Exact decimal text helpers. Prices and sizes stay strings end to end; these
 * functions validate, canonicalise, compare and add them without floats.
 */

const PLAIN_RE = /^\d+(\.\d+)?$/;
const EXP_RE = /^(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;

/** True for a non-negative plain decimal (`0`, `12.50`, `0.00001305`). */
export function isPlainDecimal(text: string): boolean {
  return PLAIN_RE.test(text);
}

/** End of a plain decimal (`\d+(\.\d+)?`, as isPlainDecimal) starting at `i`, or -1. */
export function plainDecimalEnd(text: string, i: number): number {
  const start = i;
  let c = text.charCodeAt(i);
  while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
  if (i === start) return -1;
  if (c !== 46) return i;
  const frac = ++i;
  c = text.charCodeAt(i);
  while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
  return i === frac ? -1 : i;
}

/**
 * Turns a JSON number lexeme into plain decimal text, keeping every digit as written.
 * Exponent forms (`5e-8`) are expanded. Returns undefined for anything else
 * (negative, NaN, malformed).
 */
export function toPlainDecimal(text: string): string | undefined {
  if (PLAIN_RE.test(text)) return text;
  const m = EXP_RE.exec(text);
  if (!m) return undefined;
  const intPart = m[1] as string;
  const frac = m[2] ?? '';
  const exp = Number(m[3]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return undefined;
  const digits = intPart + frac;
  const point = intPart.length + exp;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Canonical form used as a map key: no leading zeros, no trailing fractional zeros. */
export function canonicalDecimal(text: string): string {
  let s = text;
  const dot = s.indexOf('.');
  if (dot >= 0) {
    let end = s.length;
    while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
    s = end === dot + 1 ? s.slice(0, dot) : s.slice(0, end);
  }
  let start = 0;
  const intEnd = s.indexOf('.') >= 0 ? s.indexOf('.') : s.length;
  while (start < intEnd - 1 && s.charCodeAt(start) === 48) start++;
  return start === 0 ? s : s.slice(start);
}

/** True when the decimal text is zero (`0`, `0.00000000`). */
export function isZeroDecimal(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}

/** Compares two canonical decimals (see canonicalDecimal). */
export function compareCanonical(a: string, b: string): number {
  if (a === b) return 0;
  const ad = a.indexOf('.');
  const bd = b.indexOf('.');
  const ai = ad < 0 ? a.length : ad;
  const bi = bd < 0 ? b.length : bd;
  if (ai !== bi) return ai - bi;
  const aInt = a.slice(0, ai);
  const bInt = b.slice(0, bi);
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const aFrac = ad < 0 ? '' : a.slice(ad + 1);
  const bFrac = bd < 0 ? '' : b.slice(bd + 1);
  if (aFrac === bFrac) return 0;
  return aFrac < bFrac ? -1 : 1;
}

/** Compares any two plain decimals exactly. */
export function compareDecimal(a: string, b: string): number {
  return compareCanonical(canonicalDecimal(a), canonicalDecimal(b));
}

function scaleOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function toScaled(text: string, scale: number): bigint {
  const dot = text.indexOf('.');
  if (dot < 0) return BigInt(text + '0'.repeat(scale));
  const frac = text.slice(dot + 1);
  return BigInt(text.slice(0, dot) + frac + '0'.repeat(scale - frac.length));
}

function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  if (scale === 0) return negative ? `-${abs}` : abs.toString();
  const digits = abs.toString().padStart(scale + 1, '0');
  const body = canonicalDecimal(
    `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`,
  );
  return negative && body !== '0' ? `-${body}` : body;
}

/** Exact sum of two plain decimals, canonical result. */
export function addDecimal(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return fromScaled(toScaled(a, scale) + toScaled(b, scale), scale);
}

/** Exact `a - b` of two plain decimals, canonical (negative results carry a `-`). */
export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return fromScaled(toScaled(a, scale) - toScaled(b, scale), scale);
}

/** Exact sum of many plain decimals, canonical result ("0" for none). */
export function sumDecimals(values: readonly string[]): string {
  const fast = sumSmallDecimals(values);
  if (fast !== undefined) return fast;
  let scale = 0;
  for (const v of values) scale = Math.max(scale, scaleOf(v));
  let total = 0n;
  for (const v of values) total += toScaled(v, scale);
  return fromScaled(total, scale);
}

const FAST_SCALE = 8;
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/**
 * The common case without BigInt: values with at most 8 fractional digits whose sum in
 * units of 1e-8 stays an exact integer double. Undefined when that does not hold.
 */
function sumSmallDecimals(values: readonly string[]): string | undefined {
  let total = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    let n = 0;
    let frac = -1;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 46) {
        frac = 0;
        continue;
      }
      n = n * 10 + (c - 48);
      if (frac >= 0) frac++;
    }
    if (frac > FAST_SCALE) return undefined;
    total += n * POW10[FAST_SCALE - Math.max(frac, 0)]!;
    if (total > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return fromScaled(BigInt(total), FAST_SCALE);
}
