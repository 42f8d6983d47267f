/** The simulator's text formatting: exact decimal text and UUID-shaped ids. */

import { describe, expect, it } from 'vitest';
import { fixedText, trimmedText, uuidFrom } from '../../src/sim/format.js';
import { mix32 } from '../../src/sim/prng.js';

/** The straightforward definition the table-driven uuidFrom must match. */
function referenceUuid(n: number, salt: number): string {
  const hex8 = (x: number) => x.toString(16).padStart(8, '0');
  const a = mix32(n ^ salt);
  const b = mix32(a + 0x9e3779b9);
  const c = mix32(b ^ n);
  const d = mix32(c + salt);
  const hb = hex8(b);
  const hc = hex8(c);
  return `${hex8(a)}-${hb.slice(0, 4)}-4${hb.slice(5)}-${'89ab'[c & 3]}${hc.slice(1, 4)}-${hc.slice(4)}${hex8(d)}`;
}

describe('uuidFrom', () => {
  it('matches the reference definition, including values with leading zero nibbles', () => {
    const samples = [0, 1, 2, 255, 256, 65_535, 0xffffffff, 12_345, 987_654_321, 2 ** 31];
    for (let i = 0; i < 20_000; i++) samples.push(mix32(i * 7919 + 1));
    let leadingZero = 0;
    for (const n of samples) {
      for (const salt of [0x5bd1e995, 0x27d4eb2f, 0]) {
        const u = uuidFrom(n, salt);
        expect(u).toBe(referenceUuid(n, salt));
        if (u.startsWith('0')) leadingZero++;
      }
    }
    expect(leadingZero).toBeGreaterThan(0);
  });

  it('is shaped like a version-4 UUID', () => {
    for (let n = 0; n < 1000; n++) {
      expect(uuidFrom(n, 0x5bd1e995)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });
});

describe('decimal text', () => {
  it('fixedText and trimmedText keep the exact value', () => {
    expect(fixedText(622_532_000_000, 8)).toBe('6225.32000000');
    expect(fixedText(5, 8)).toBe('0.00000005');
    expect(trimmedText(622_532_000_000, 8)).toBe('6225.32');
    expect(trimmedText(98_500_000_000, 8)).toBe('985');
    expect(trimmedText(1305, 8)).toBe('0.00001305');
  });
});
