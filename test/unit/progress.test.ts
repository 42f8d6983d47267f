import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backfillProgress, ProgressLine } from '../../src/core/progress.js';

function stream(tty: boolean) {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { written: string };
  s.isTTY = tty;
  s.written = '';
  s.on('data', (c: Buffer) => {
    s.written += c.toString();
  });
  return s;
}

describe('progress line', () => {
  it('draws on a terminal and ends with a newline', async () => {
    const s = stream(true);
    const report = backfillProgress(new ProgressLine(s, 0))!;
    report('coinbase', 'BTC-USD', 1000, 4000);
    report('coinbase', 'BTC-USD', 4000, 4000);
    await new Promise((r) => setImmediate(r));
    expect(s.written).toContain('back-fill coinbase BTC-USD: 1,000 of ~4,000 trades fetched (25%)');
    expect(s.written).toContain('(100%)');
    expect(s.written.endsWith('\n')).toBe(true);
  });

  it('stays silent when not a terminal', () => {
    expect(backfillProgress(new ProgressLine(stream(false)))).toBeUndefined();
  });
});
