import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  canonicalDecimal,
  compareDecimal,
  isPlainDecimal,
  isZeroDecimal,
  subtractDecimal,
  sumDecimals,
  toPlainDecimal,
} from '../../src/core/decimal.js';

describe('decimal text', () => {
  it('validates plain non-negative decimals', () => {
    for (const ok of ['0', '12.5', '0.00001305', '4095.00000000']) expect(isPlainDecimal(ok)).toBe(true);
    for (const bad of ['', '-1', '0.-10000', 'NaN', '1e5', '.5', '5.', '1,5', ' 1'])
      expect(isPlainDecimal(bad)).toBe(false);
  });

  it('canonicalises without changing the value', () => {
    expect(canonicalDecimal('0.0280')).toBe('0.028');
    expect(canonicalDecimal('4095.00000000')).toBe('4095');
    expect(canonicalDecimal('007.10')).toBe('7.1');
    expect(canonicalDecimal('0.00000000')).toBe('0');
    expect(canonicalDecimal('100')).toBe('100');
  });

  it('expands exponent lexemes keeping every digit', () => {
    expect(toPlainDecimal('5e-8')).toBe('0.00000005');
    expect(toPlainDecimal('1.25E3')).toBe('1250');
    expect(toPlainDecimal('0.10000000')).toBe('0.10000000');
    expect(toPlainDecimal('-1')).toBeUndefined();
    expect(toPlainDecimal('NaN')).toBeUndefined();
  });

  it('compares exactly, including values a float cannot tell apart', () => {
    expect(compareDecimal('0.1', '0.10')).toBe(0);
    expect(compareDecimal('9.99', '10')).toBeLessThan(0);
    expect(compareDecimal('0.05', '0.5')).toBeLessThan(0);
    expect(compareDecimal('0.12', '0.1')).toBeGreaterThan(0);
    expect(compareDecimal('1.00000000000000000001', '1')).toBeGreaterThan(0);
  });

  it('subtracts exactly, signs included', () => {
    expect(subtractDecimal('43001', '43002.1')).toBe('-1.1');
    expect(subtractDecimal('0.3', '0.1')).toBe('0.2');
    expect(subtractDecimal('100.10', '100.1')).toBe('0');
    expect(subtractDecimal('1', '0.00000001')).toBe('0.99999999');
    expect(subtractDecimal('0.00000001', '1')).toBe('-0.99999999');
  });

  it('adds exactly', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('1.99999999', '0.00000001')).toBe('2');
    expect(sumDecimals(['0.00064', '0.00123858', '0.01450854'])).toBe('0.01638712');
    expect(sumDecimals([])).toBe('0');
  });

  it('recognises zero in any spelling', () => {
    expect(isZeroDecimal('0.00000000')).toBe(true);
    expect(isZeroDecimal('0')).toBe(true);
    expect(isZeroDecimal('0.0001')).toBe(false);
  });
});

describe('exact sums, fast and general paths agree', () => {
  it('matches a BigInt reference on random decimals of every scale', () => {
    let seed = 5;
    const r = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const ref = (vs: string[]) => {
      const scale = 12;
      let t = 0n;
      for (const v of vs) {
        const [i, f = ''] = v.split('.');
        t += BigInt(i! + f.padEnd(scale, '0'));
      }
      const d = t.toString().padStart(scale + 1, '0');
      return canonicalDecimal(`${d.slice(0, -scale)}.${d.slice(-scale)}`);
    };
    for (let k = 0; k < 500; k++) {
      const vs = Array.from({ length: 1 + Math.floor(r() * 50) }, () =>
        (r() * 10 ** Math.floor(r() * 9)).toFixed(Math.floor(r() * 13)),
      );
      expect(sumDecimals(vs)).toBe(ref(vs));
    }
    // Past 2^53 units of 1e-8 the general path takes over, still exact.
    expect(sumDecimals(['90071992.54740992', '1'])).toBe('90071993.54740992');
    expect(sumDecimals(['0.000000001', '0.1'])).toBe('0.100000001');
  });
});
