/**
 * readStreams on a Redis Cluster. XREAD cannot name keys of different slots (CROSSSLOT,
 * even on one node), and a market's keys share one slot, so there is one XREAD per slot
 * (= per market: its `trades:` and `book:` streams are read together).
 *
 * 1. Non-blocking XREAD of every slot on the shared cluster connections: node-redis
 *    pipelines them, one round trip per node. Anything there: returned at once.
 * 2. Nothing anywhere and the caller may wait: one XREAD BLOCK per slot, each on a
 *    dedicated connection to the slot's node (pooled by RedisLink). The call returns as soon
 *    as the first of them brings entries. The others stay in flight, "parked" under their
 *    exact request (keys, ids, count): the next call asking the same thing (the caller's
 *    cursors did not move for a stream that brought nothing) adopts the parked read instead
 *    of sending another, so nothing is lost and nothing is read twice. A parked read nobody
 *    asks for again is dropped once it ends (its BLOCK timeout bounds that).
 */

import type { RawEntry } from '../codec.js';
import type { BlockingConnection, RedisLink } from './link.js';
import { keySlot } from './slot.js';

export type XReadReply = [key: string, entries: RawEntry[]][] | null;

interface Group {
  slot: number;
  keys: string[];
  ids: string[];
  sig: string;
}

interface Parked {
  sig: string;
  slot: number;
  settled: boolean;
  reply: XReadReply;
  error: unknown;
  endedAt: number;
  done: Promise<void>;
}

/** Settled parked reads nobody adopted are dropped after this long. */
const PARKED_TTL_MS = 10_000;

function hasEntries(reply: XReadReply): boolean {
  return !!reply && reply.some(([, entries]) => entries.length > 0);
}

export class ClusterStreamReader {
  private readonly parked = new Map<string, Parked>();

  constructor(private readonly link: RedisLink) {}

  /** Parked reads in flight or waiting to be adopted (tests). */
  get parkedCount(): number {
    return this.parked.size;
  }

  /**
   * Entries after `ids[i]` of `keys[i]`, at most `count` per stream, as XREAD returns them
   * (only streams with entries). Throws when no slot could be read at all.
   */
  async read(keys: readonly string[], ids: readonly string[], count: number, blockMs: number) {
    const resolved = await this.resolveLatest(keys, ids);
    const groups = groupBySlot(keys, resolved, count);
    this.sweep(groups);
    const out: [string, RawEntry[]][] = [];
    let failed = 0;
    let lastError: unknown;
    const fresh: Group[] = [];
    const waiting: Parked[] = [];
    for (const g of groups) {
      const p = this.parked.get(g.sig);
      if (!p) fresh.push(g);
      else if (!p.settled) waiting.push(p);
      else {
        // Ended since the last call: its entries are this call's; an empty or failed one is
        // simply read again below.
        this.parked.delete(p.sig);
        if (hasEntries(p.reply)) out.push(...p.reply!);
        else fresh.push(g);
      }
    }

    // 1. Everything that is there now, pipelined per node.
    const now = await Promise.allSettled(
      fresh.map((g) =>
        this.link.send<XReadReply>(
          g.keys[0],
          ['XREAD', 'COUNT', String(count), 'STREAMS', ...g.keys, ...g.ids],
          true,
        ),
      ),
    );
    const quiet: Group[] = [];
    now.forEach((r, i) => {
      if (r.status === 'rejected') {
        failed++;
        lastError = r.reason;
      } else if (hasEntries(r.value)) out.push(...r.value!);
      else quiet.push(fresh[i]!);
    });
    if (out.length > 0 || blockMs <= 0) return this.done(out, failed, groups.length, lastError);

    // 2. Block until the first slot brings something.
    for (const g of quiet) waiting.push(this.park(g, count, blockMs));
    // Reads adopted from an earlier call may have longer to go: wait this call's time only.
    if (waiting.length > 0) await firstWithEntries(waiting, blockMs + 100);
    let blockErrors = 0;
    for (const p of waiting) {
      if (!p.settled) continue;
      this.parked.delete(p.sig);
      if (hasEntries(p.reply)) out.push(...p.reply!);
      else if (p.error !== undefined) {
        blockErrors++;
        lastError = p.error;
      }
    }
    // Every blocking read failed at once: report it rather than let the caller spin.
    if (out.length === 0 && blockErrors > 0 && blockErrors === waiting.length) throw lastError;
    return this.done(out, failed, groups.length, lastError);
  }

  private done(out: [string, RawEntry[]][], failed: number, total: number, lastError: unknown) {
    if (out.length === 0 && failed > 0 && failed >= total) throw lastError;
    return out;
  }

  /** `$` = the stream's newest id now, so the non-blocking and blocking reads agree. */
  private async resolveLatest(keys: readonly string[], ids: readonly string[]): Promise<string[]> {
    if (!ids.includes('$')) return [...ids];
    return Promise.all(
      ids.map(async (id, i) => {
        if (id !== '$') return id;
        const last = await this.link.send<RawEntry[]>(
          keys[i],
          ['XREVRANGE', keys[i]!, '+', '-', 'COUNT', '1'],
          true,
        );
        return last[0]?.[0] ?? '0-0';
      }),
    );
  }

  private park(g: Group, count: number, blockMs: number): Parked {
    const p: Parked = {
      sig: g.sig,
      slot: g.slot,
      settled: false,
      reply: null,
      error: undefined,
      endedAt: 0,
      done: Promise.resolve(),
    };
    p.done = (async () => {
      let conn: BlockingConnection | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        conn = await this.link.acquireBlocking(g.keys[0]);
        const c = conn;
        p.reply = await Promise.race([
          c.client.sendCommand<XReadReply>([
            'XREAD',
            'COUNT',
            String(count),
            'BLOCK',
            String(blockMs),
            'STREAMS',
            ...g.keys,
            ...g.ids,
          ]),
          new Promise<never>((_, reject) => {
            // A node that vanished without closing the socket must not hold the read.
            timer = setTimeout(() => reject(new Error('blocking read timed out')), blockMs + 5000);
          }),
        ]);
        this.link.releaseBlocking(c, true);
      } catch (e) {
        p.error = e;
        if (conn) this.link.releaseBlocking(conn, false);
      } finally {
        clearTimeout(timer);
        p.settled = true;
        p.endedAt = Date.now();
      }
    })();
    this.parked.set(g.sig, p);
    return p;
  }

  /** Drops settled parked reads that are stale: old, or superseded by a different request. */
  private sweep(groups: readonly Group[]): void {
    if (this.parked.size === 0) return;
    const wanted = new Map(groups.map((g) => [g.slot, g.sig]));
    const now = Date.now();
    for (const p of this.parked.values()) {
      if (!p.settled) continue;
      const sig = wanted.get(p.slot);
      if (now - p.endedAt > PARKED_TTL_MS || (sig !== undefined && sig !== p.sig)) this.parked.delete(p.sig);
    }
  }

  clear(): void {
    this.parked.clear();
  }
}

function groupBySlot(keys: readonly string[], ids: readonly string[], count: number): Group[] {
  const bySlot = new Map<number, Group>();
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    let g = bySlot.get(slot);
    if (!g) {
      g = { slot, keys: [], ids: [], sig: '' };
      bySlot.set(slot, g);
    }
    g.keys.push(key);
    g.ids.push(ids[i]!);
  });
  const out = [...bySlot.values()];
  for (const g of out) g.sig = `${count}|${g.keys.join(',')}|${g.ids.join(',')}`;
  return out;
}

/** Resolves when one of `reads` ends with entries, when all have ended, or after `timeoutMs`. */
function firstWithEntries(reads: readonly Parked[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let left = reads.length;
    const timer = setTimeout(resolve, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    for (const p of reads) {
      void p.done.then(() => {
        if (hasEntries(p.reply) || --left === 0) finish();
      });
    }
  });
}
