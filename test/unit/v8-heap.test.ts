import { describe, expect, it } from 'vitest';
import { tuneHeap } from '../../src/core/v8-heap.js';

describe('tuneHeap', () => {
  it('turns pretenuring off when nothing says otherwise', () => {
    expect(tuneHeap([], '')).toBe(true);
  });

  it('leaves an explicit pretenuring flag alone, on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeap(['--allocation-site-pretenuring'], '')).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --no-allocation-site-pretenuring')).toBe(false);
    expect(tuneHeap(['--max-semi-space-size=8'], '--enable-source-maps')).toBe(true);
  });
});
