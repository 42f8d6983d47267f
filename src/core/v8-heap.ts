/**
 * Heap tuning applied at start, before any hot code has run.
 *
 * V8 pretenures an allocation site (allocates its objects straight in the old generation)
 * once most of its objects survive a young-generation collection. Trades do, briefly,
 * while a backlog is written, and from then on every trade parsed went to the old space
 * and died there: at 100,000 trades/s the old space grew by about 10 MB/s between
 * major collections and the collector's RSS peaked at 160-180 MB. Without pretenuring
 * they die young and cheaply: old space stays at about 25 MB and RSS at 125-140 MB, for
 * the same CPU and latency (bench/RESULTS.md). The flag is one V8 reads while running,
 * so it can be set here rather than on every command line; a flag given explicitly in
 * NODE_OPTIONS or on the command line wins.
 */

import { setFlagsFromString } from 'node:v8';

export function tuneHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): boolean {
  const explicit = [...execArgv, nodeOptions].some((a) => a.includes('allocation-site-pretenuring'));
  if (explicit) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
