/** Redis-compatible stream ids (`<ms>-<seq>`), so clients resume the same way on both stores. */

export class StreamIdClock {
  private lastMs = 0;
  private seq = 0;

  next(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq++;
    return `${this.lastMs}-${this.seq}`;
  }
}

/** Orders stream ids like Redis does; a bare `<ms>` means `<ms>-0`. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = Number(am) - Number(bm);
  return d !== 0 ? d : Number(as) - Number(bs);
}

/** A syntactically valid stream id (`1700000000000-0`, `1700000000000`, `0`). */
export function isStreamId(text: string): boolean {
  return /^\d{1,20}(-\d{1,20})?$/.test(text);
}
