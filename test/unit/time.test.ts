import { describe, expect, it } from 'vitest';
import { parseApiTime, parseIsoToUs, usToIso } from '../../src/core/time.js';

describe('time', () => {
  it('parses ISO timestamps with 0-9 fractional digits to µs', () => {
    expect(parseIsoToUs('2021-04-17T16:43:37.075687Z')).toBe(
      Date.UTC(2021, 3, 17, 16, 43, 37) * 1000 + 75687,
    );
    expect(parseIsoToUs('2026-09-07T23:37:22.675755362Z')).toBe(
      Date.UTC(2026, 8, 7, 23, 37, 22) * 1000 + 675755,
    );
    expect(parseIsoToUs('2019-08-01T00:00:03.818Z')).toBe(Date.UTC(2019, 7, 1, 0, 0, 3) * 1000 + 818000);
    expect(parseIsoToUs('2019-08-01T00:00:03Z')).toBe(Date.UTC(2019, 7, 1, 0, 0, 3) * 1000);
    // Same seconds prefix twice exercises the cache.
    expect(parseIsoToUs('2019-08-01T00:00:03.5Z')).toBe(Date.UTC(2019, 7, 1, 0, 0, 3) * 1000 + 500000);
  });

  it('rejects the zero-time sentinel and non-ISO text', () => {
    expect(parseIsoToUs('0001-01-01T00:00:00.000000Z')).toBeUndefined();
    expect(parseIsoToUs('2026-09-07 23:37:22.674409 +0000 UTC m=+139651.272674714')).toBeUndefined();
    expect(parseIsoToUs('yesterday')).toBeUndefined();
  });

  it('round-trips µs through ISO', () => {
    const us = 1_700_000_000_123_456;
    expect(parseIsoToUs(usToIso(us))).toBe(us);
  });

  it('parses API times as epoch seconds or ISO', () => {
    expect(parseApiTime('1700000000')).toBe(1_700_000_000_000_000);
    expect(parseApiTime('1700000000.123456')).toBe(1_700_000_000_123_456);
    expect(parseApiTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000_000);
    expect(parseApiTime('2023-11-14T22:13:20.5+00:00')).toBe(1_700_000_000_500_000);
    expect(parseApiTime('2023-11-14')).toBe(Date.UTC(2023, 10, 14) * 1000);
    expect(parseApiTime('abc')).toBeUndefined();
    expect(parseApiTime('-5')).toBeUndefined();
  });
});

describe('API time edge cases', () => {
  it('rounds fractions beyond µs to the nearest µs', () => {
    expect(parseApiTime('1700000000.1234565')).toBe(1_700_000_000_123_457);
    expect(parseApiTime('1700000000.9999999')).toBe(1_700_000_001_000_000);
  });

  it('refuses calendar fields out of range instead of rolling them over', () => {
    expect(parseApiTime('2024-13-45')).toBeUndefined();
    expect(parseApiTime('2024-02-01T25:00:00Z')).toBeUndefined();
  });

  it('refuses epoch values too large for exact µs', () => {
    expect(parseApiTime('123456789012')).toBeUndefined();
  });
});

describe('ISO fast path', () => {
  it('agrees with the slow path for every fraction length, also on cache hits', () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const us = 1_600_000_000_000_000 + Math.floor(rnd() * 1e14);
      const iso = usToIso(us); // ...SS.ffffffZ
      const digits = Math.floor(rnd() * 10); // 0..9 fractional digits
      const frac = `${iso.slice(20, 26)}${String(Math.floor(rnd() * 1000)).padStart(3, '0')}`.slice(
        0,
        digits,
      );
      const text = `${iso.slice(0, 19)}${digits ? `.${frac}` : ''}Z`;
      const expected = Math.floor(us / 1e6) * 1e6 + Number(frac.slice(0, 6).padEnd(6, '0') || '0');
      expect(parseIsoToUs(text)).toBe(expected); // first: slow path, fills the cache
      expect(parseIsoToUs(text)).toBe(expected); // second: fast path
    }
    expect(parseIsoToUs('2021-04-17T16:43:37.07x687Z')).toBeUndefined();
  });
});
