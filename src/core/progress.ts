/** A single self-overwriting status line on stderr, only when stderr is a terminal. */

export class ProgressLine {
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 250,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** Shows `text` (throttled; `force` shows it now). */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    this.stream.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }

  /** Leaves the last line in place and moves to a new one. */
  done(text?: string): void {
    if (!this.enabled) return;
    if (text !== undefined) this.stream.write(`\r\x1b[2K${text}`);
    if (this.shown || text !== undefined) this.stream.write('\n');
    this.shown = false;
  }
}

/** Progress of REST back-fills, one line per market while it runs. */
export function backfillProgress(line = new ProgressLine()) {
  if (!line.enabled) return undefined;
  return (exchange: string, symbol: string, fetched: number, missing: number): void => {
    const pct = missing > 0 ? Math.min(100, Math.round((fetched / missing) * 100)) : 100;
    const text = `  back-fill ${exchange} ${symbol}: ${fetched.toLocaleString()} of ~${missing.toLocaleString()} trades fetched (${pct}%)`;
    if (fetched >= missing) line.done(text);
    else line.update(text);
  };
}
