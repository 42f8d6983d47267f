/**
 * Canonical symbol parsing (CONTRACT.md section 1): every accepted spelling maps to
 * upper-case `BASE-QUOTE`; Kraken's legacy asset codes map to the common ones.
 */

const LEGACY_ASSETS: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };
const ASSET_RE = /^[A-Z0-9]{1,12}$/;

export class SymbolError extends Error {
  constructor(readonly input: string) {
    super(
      `invalid symbol "${truncate(input)}": expected BASE-QUOTE or BASE/QUOTE with 1-12 letters or digits each (e.g. BTC-USD, btc/usd, XBT/USD)`,
    );
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Returns the canonical symbol or throws SymbolError. */
export function parseSymbol(input: string): string {
  const canonical = tryParseSymbol(input);
  if (canonical === undefined) throw new SymbolError(input);
  return canonical;
}

/** Returns the canonical symbol, or undefined for anything that is not a symbol. */
export function tryParseSymbol(input: string): string | undefined {
  if (typeof input !== 'string' || input.length > 30) return undefined;
  const upper = input.trim().toUpperCase();
  const parts = upper.split(/[-/]/);
  if (parts.length !== 2) return undefined;
  const [rawBase, rawQuote] = parts as [string, string];
  if (!ASSET_RE.test(rawBase) || !ASSET_RE.test(rawQuote)) return undefined;
  const base = LEGACY_ASSETS[rawBase] ?? rawBase;
  const quote = LEGACY_ASSETS[rawQuote] ?? rawQuote;
  if (base === quote) return undefined;
  return `${base}-${quote}`;
}

export function splitSymbol(canonical: string): [base: string, quote: string] {
  const i = canonical.indexOf('-');
  return [canonical.slice(0, i), canonical.slice(i + 1)];
}

/** Parses a comma-separated list, de-duplicated, order kept. */
export function parseSymbolList(input: string): string[] {
  const out: string[] = [];
  for (const item of input.split(',')) {
    if (item.trim() === '') continue;
    const s = parseSymbol(item);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
