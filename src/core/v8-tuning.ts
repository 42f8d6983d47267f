/**
 * V8 settings the hot path depends on, found by profiling the collector.
 *
 * Heap: V8 pretenures an allocation site (allocates its objects straight in the old
 * generation) once most of its objects survive a young-generation collection. Trades do,
 * briefly, while a backlog is written, and from then on every trade parsed went to the
 * old space and died there: at 100,000 trades/s the old space grew by about 10 MB/s
 * between major collections and the collector's RSS peaked at 160-180 MB. Without
 * pretenuring they die young and cheaply: old space stays at about 25 MB and RSS at
 * 117-137 MB, for the same CPU and latency (bench/RESULTS.md). The flag is one V8 reads
 * while running, so it is set at start (src/cli.ts) rather than on every command line;
 * a flag given explicitly in NODE_OPTIONS or on the command line wins.
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

/**
 * node-redis declares `class VerbatimString extends String`. Becoming the prototype of a
 * new class puts String.prototype in dictionary mode, and V8 makes a prototype fast again
 * only when a property store goes through it, which never happens unless a RESP3 verbatim
 * string arrives. Meanwhile TurboFan cannot resolve `text.charCodeAt` or `text.startsWith`
 * when it compiles, so every string method call in optimised code became a generic
 * property lookup (V8's LoadIC builtin: 16-19 % of the collector's CPU at 100,000
 * trades/s). One store on an object whose prototype is String.prototype makes it fast.
 * Called once the Redis client is loaded (src/store/redis/link.ts).
 */
export function restoreFastStringPrototype(): void {
  const probe: { fast?: boolean } = Object.create(String.prototype);
  probe.fast = true;
}
