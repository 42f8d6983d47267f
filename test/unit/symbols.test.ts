import { describe, expect, it } from 'vitest';
import { parseSymbol, parseSymbolList, SymbolError, tryParseSymbol } from '../../src/core/symbols.js';

describe('canonical symbols', () => {
  it.each([
    ['BTC-USD', 'BTC-USD'],
    ['BTC/USD', 'BTC-USD'],
    ['btc-usd', 'BTC-USD'],
    ['btc/usd', 'BTC-USD'],
    ['XBT/USD', 'BTC-USD'],
    ['XBT-USD', 'BTC-USD'],
    ['xbt/usd', 'BTC-USD'],
    ['XDG/USD', 'DOGE-USD'],
    [' eth-eur ', 'ETH-EUR'],
    ['SOL/EUR', 'SOL-EUR'],
  ])('%s -> %s', (input, expected) => {
    expect(parseSymbol(input)).toBe(expected);
  });

  it.each([
    '',
    'BTC',
    'BTC-USD-EUR',
    'BTC--USD',
    'BTC_USD',
    'BTC-US D',
    '../etc',
    'BTC-U$D',
    'BTC-BTC',
    'A'.repeat(40),
  ])('rejects %j', (input) => {
    expect(tryParseSymbol(input)).toBeUndefined();
    expect(() => parseSymbol(input)).toThrow(SymbolError);
  });

  it('names the bad input and the expected form', () => {
    expect(() => parseSymbol('BTC_USD')).toThrow(/invalid symbol "BTC_USD": expected BASE-QUOTE/);
  });

  it('parses lists, de-duplicating spellings of one market', () => {
    expect(parseSymbolList('BTC-USD, xbt/usd,ETH/USD')).toEqual(['BTC-USD', 'ETH-USD']);
    expect(() => parseSymbolList('BTC-USD,nope')).toThrow(SymbolError);
  });
});
