/**
 * The fan-out hub behind `/stream`: one per API server, whatever the number of clients.
 *
 * A single reader loop reads every subscribed stream with one `store.readStreams` call
 * (a blocking wait of `blockMs` when nothing is pending: on Redis one XREAD BLOCK on the
 * store's one blocking connection) and hands each entry, encoded once, to every client
 * subscribed to that stream. No client ever gets a Redis connection or a reader of its own.
 *
 * Exactness: every subscription has a cursor (`lastId`, the last stream id it has been
 * given or skipped). A subscription is `live` when the hub's own cursor of the stream is not
 * ahead of it; then each entry the loop reads with an id above its cursor goes out, in
 * stream order, once. A subscription that starts behind (a `from` in the past, or one that
 * waited for its book snapshot) is `catchup`: the same loop reads its entries page by page
 * from its cursor (non-blocking reads, paced by the client's socket buffer) until it reaches
 * the stream's end, then it is live. So a client sees exactly the entries after its start
 * point: no gap, no duplicate, across the switch from stored to live entries.
 *
 * Clients that cannot keep up with live data (socket buffer above `maxBufferedBytes`) are told
 * so and dropped instead of letting memory grow.
 */

import type { Logger } from '../../core/logger.js';
import type { Exchange } from '../../core/types.js';
import type { Store, StreamCursor, StreamItem, StreamName } from '../../store/store.js';
import { compareStreamIds, itemMessage } from './protocol.js';

export interface HubClient {
  /** Sends one text frame. */
  send(data: Buffer): void;
  /** Bytes queued on the client's socket, not yet written. */
  readonly bufferedAmount: number;
  readonly closed: boolean;
  /** The client fell too far behind: tell it and close it (it must leave the hub). */
  tooSlow(): void;
  /** A non-fatal notice (store outage). */
  notify(code: string, message: string): void;
}

export interface HubOptions {
  /** Longest wait of one blocking read when nothing is pending, ms. */
  blockMs?: number;
  /** Entries per stream per live read. */
  readCount?: number;
  /** Entries per catch-up page. */
  catchupCount?: number;
  /** Catch-up pages read per round of the loop (more wait for the next round). */
  catchupPerRound?: number;
  /** A live client with more than this many bytes unsent is dropped as too slow. */
  maxBufferedBytes?: number;
  /** A catching-up client with more than this many bytes unsent is paused (not dropped). */
  catchupPauseBytes?: number;
}

const DEFAULTS: Required<HubOptions> = {
  blockMs: 1000,
  readCount: 1000,
  catchupCount: 500,
  catchupPerRound: 16,
  maxBufferedBytes: 8 * 1024 * 1024,
  catchupPauseBytes: 1024 * 1024,
};

type Mode = 'hold' | 'catchup' | 'live';

export interface Subscription {
  readonly key: string;
  /** The last stream id given to (or skipped for) this subscription. */
  lastId: string;
  mode: Mode;
  /** Book: after a snapshot of sequence N, `update` entries with sequence <= N are already in it. */
  skipSeq: number | undefined;
  readonly client: HubClient;
}

interface StreamState {
  key: string;
  cursor: Omit<StreamCursor, 'afterId'>;
  /** The hub's cursor: the last id the live reads have returned (undefined until resolved). */
  live: string | undefined;
  ready: Promise<void>;
  subs: Map<HubClient, Subscription>;
}

export function streamKey(stream: StreamName, exchange: Exchange, symbol: string): string {
  return `${stream}:${exchange}:${symbol}`;
}

export class StreamHub {
  private readonly o: Required<HubOptions>;
  private readonly streams = new Map<string, StreamState>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private outage = false;
  /** Live reads in flight (at most one, by construction; tests check it). */
  private reading = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: HubOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Adds a subscription, held (nothing is sent) until `release`. Without `from` it starts at
   * the stream's current end; with `from`, right after that id.
   */
  async subscribe(
    client: HubClient,
    stream: StreamName,
    exchange: Exchange,
    symbol: string,
    from: string | undefined,
  ): Promise<Subscription> {
    if (this.stopped) throw new Error('stream hub stopped');
    const key = streamKey(stream, exchange, symbol);
    let st = this.streams.get(key);
    if (!st) {
      const state: StreamState = {
        key,
        cursor: { stream, exchange, symbol },
        live: undefined,
        ready: Promise.resolve(),
        subs: new Map(),
      };
      // The stream's end right now, as a concrete id: nothing written from here on is missed.
      state.ready = this.store.lastStreamId(stream, exchange, symbol).then(
        (id) => {
          state.live = id;
        },
        (err: unknown) => {
          if (this.streams.get(key) === state) this.streams.delete(key);
          throw err;
        },
      );
      this.streams.set(key, state);
      st = state;
    }
    await st.ready;
    // Pruned while we waited (its last client left): the state is still exact, put it back.
    if (this.streams.get(key) !== st) {
      if (this.streams.has(key)) return this.subscribe(client, stream, exchange, symbol, from);
      this.streams.set(key, st);
    }
    const sub: Subscription = {
      key,
      lastId: from ?? st.live!,
      mode: 'hold',
      skipSeq: undefined,
      client,
    };
    st.subs.set(client, sub);
    this.ensureRunning();
    return sub;
  }

  /** Starts sending a held subscription (after its acknowledgement and book snapshot). */
  release(sub: Subscription, skipSeq?: number): void {
    const st = this.streams.get(sub.key);
    if (!st || st.subs.get(sub.client) !== sub || sub.mode !== 'hold') return;
    sub.skipSeq = skipSeq;
    // Nothing passed it while held: live at once. Otherwise it reads what it missed first.
    sub.mode = st.live !== undefined && compareStreamIds(sub.lastId, st.live) >= 0 ? 'live' : 'catchup';
    this.wake();
  }

  unsubscribe(client: HubClient, key: string): void {
    const st = this.streams.get(key);
    if (!st) return;
    st.subs.delete(client);
    if (st.subs.size === 0) this.streams.delete(key);
  }

  /** Stops the reader loop (clients are closed by their owner). */
  stop(): void {
    this.stopped = true;
    this.streams.clear();
    this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private ensureRunning(): void {
    if (this.running || this.stopped) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A subscription may have arrived as the loop was ending.
      if (!this.stopped && this.streams.size > 0) this.ensureRunning();
    });
  }

  private async loop(): Promise<void> {
    let backoff = 0;
    while (!this.stopped && this.streams.size > 0) {
      const states = [...this.streams.values()].filter((s) => s.live !== undefined);
      if (states.length === 0) {
        await this.pause(50);
        continue;
      }
      try {
        const pending = await this.catchUp(states);
        if (this.stopped) break;
        const block =
          pending === 'more' ? 0 : pending === 'paused' ? Math.min(50, this.o.blockMs) : this.o.blockMs;
        const cursors: StreamCursor[] = states.map((s) => ({ ...s.cursor, afterId: s.live! }));
        this.reading++;
        let items: StreamItem[];
        try {
          items = await this.store.readStreams(cursors, this.o.readCount, block);
        } finally {
          this.reading--;
        }
        if (this.stopped) break;
        this.fanOut(states, items);
        if (this.outage) {
          this.outage = false;
          this.log.info({ component: 'stream' }, 'stream reads recovered');
        }
        backoff = 0;
      } catch (err) {
        if (this.stopped) break;
        if (!this.outage) {
          this.outage = true;
          this.log.warn(
            { component: 'stream', err: (err as Error)?.message },
            'stream read failed; retrying',
          );
          const told = new Set<HubClient>();
          for (const st of this.streams.values()) for (const c of st.subs.keys()) told.add(c);
          for (const c of told) {
            c.notify(
              'storage_unavailable',
              'the data store is unavailable; the stream resumes where it stopped when it is back',
            );
          }
        }
        backoff = Math.min(5000, backoff === 0 ? 250 : backoff * 2);
        await this.pause(backoff);
      }
    }
  }

  /**
   * One round of catch-up reads, one after the other (the store serves blocking reads on one
   * connection anyway, and the hub never has two reads out at once); says whether more are
   * waiting or some are paused by backpressure.
   */
  private async catchUp(states: StreamState[]): Promise<'none' | 'more' | 'paused'> {
    const jobs: [StreamState, Subscription][] = [];
    let paused = false;
    let more = false;
    for (const st of states) {
      for (const sub of st.subs.values()) {
        if (sub.mode !== 'catchup' || sub.client.closed) continue;
        if (sub.client.bufferedAmount > this.o.catchupPauseBytes) {
          paused = true;
          continue;
        }
        if (jobs.length >= this.o.catchupPerRound) {
          more = true;
          continue;
        }
        jobs.push([st, sub]);
      }
    }
    for (const [st, sub] of jobs) {
      if (this.stopped) break;
      if (await this.catchUpOne(st, sub)) more = true;
    }
    return more ? 'more' : paused ? 'paused' : 'none';
  }

  /** Sends one page of what `sub` missed; true when it is still behind. */
  private async catchUpOne(st: StreamState, sub: Subscription): Promise<boolean> {
    const n = this.o.catchupCount;
    const items = await this.store.readStreams([{ ...st.cursor, afterId: sub.lastId }], n, 0);
    if (st.subs.get(sub.client) !== sub || sub.mode !== 'catchup') return false;
    for (const item of items) {
      const id = item.entry.streamId;
      if (compareStreamIds(id, sub.lastId) <= 0) continue;
      sub.lastId = id;
      if (skip(sub, item)) continue;
      sub.client.send(Buffer.from(itemMessage(item)));
    }
    // A short page reached the stream's end as of this read, which is at or past the hub's
    // cursor (read earlier): from here the live reads carry on without a gap.
    if (items.length < n || compareStreamIds(sub.lastId, st.live!) >= 0) {
      sub.mode = 'live';
      return false;
    }
    return true;
  }

  private fanOut(states: readonly StreamState[], items: readonly StreamItem[]): void {
    if (items.length === 0) return;
    const byKey = new Map(states.map((s) => [s.key, s]));
    for (const item of items) {
      const key = streamKey(item.stream, item.exchange, item.symbol);
      const st = byKey.get(key);
      // Dropped (or dropped and re-created) while the read was out: its cursor moved on.
      if (!st || this.streams.get(key) !== st) continue;
      const id = item.entry.streamId;
      if (compareStreamIds(id, st.live!) <= 0) continue;
      st.live = id;
      let data: Buffer | undefined;
      for (const sub of st.subs.values()) {
        if (sub.mode !== 'live' || compareStreamIds(id, sub.lastId) <= 0) continue;
        sub.lastId = id;
        if (skip(sub, item)) continue;
        const c = sub.client;
        if (c.closed) {
          // Its owner leaves the hub on close; this only guards against a leftover.
          this.unsubscribe(c, key);
          continue;
        }
        if (c.bufferedAmount > this.o.maxBufferedBytes) {
          c.tooSlow();
          continue;
        }
        data ??= Buffer.from(itemMessage(item));
        c.send(data);
      }
    }
  }

  /** Live reads in flight right now (0 or 1). */
  get activeReads(): number {
    return this.reading;
  }
}

/** Book updates already contained in the snapshot the client was sent. */
function skip(sub: Subscription, item: StreamItem): boolean {
  if (sub.skipSeq === undefined || item.stream !== 'book') return false;
  if (item.entry.type === 'update' && item.entry.seq <= sub.skipSeq) return true;
  sub.skipSeq = undefined;
  return false;
}
