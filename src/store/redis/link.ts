/**
 * A thin seam over node-redis so the store speaks the same way to one server or to a
 * Redis Cluster. node-redis writes every command issued in one event-loop turn in one
 * socket write (auto-pipelining): that is how a turn's batches leave in one round trip.
 */

import { createClient, createCluster } from 'redis';
import type { Logger } from '../../core/logger.js';
import type { LuaScript } from './scripts.js';

type Reply = unknown;

export interface RedisLinkOptions {
  url?: string | undefined;
  clusterNodes?: string[] | undefined;
  log: Logger;
  name?: string;
}

/** Backoff for reconnects: 50 ms doubling to 2 s, with jitter. */
function reconnectDelay(retries: number): number {
  const base = Math.min(50 * 2 ** retries, 2000);
  return Math.round(base * (0.5 + Math.random() / 2));
}

export class RedisLink {
  private readonly client: ReturnType<typeof createClient> | undefined;
  private readonly cluster: ReturnType<typeof createCluster> | undefined;
  private isReady = false;
  private readonly readyListeners = new Set<() => void>();
  private downSince: number | undefined = Date.now();
  private lastError = '';

  constructor(private readonly options: RedisLinkOptions) {
    const { url, clusterNodes } = options;
    if (clusterNodes && clusterNodes.length > 0) {
      this.cluster = createCluster({
        rootNodes: clusterNodes.map((n) => ({ url: `redis://${n}` })),
        defaults: { disableOfflineQueue: true, socket: { reconnectStrategy: reconnectDelay } },
      });
      this.cluster.on('error', (e: Error) => this.onError(e));
    } else {
      this.client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5000 },
      });
      this.client.on('error', (e: Error) => this.onError(e));
      this.client.on('ready', () => this.onReady());
      this.client.on('end', () => this.onDown('connection closed'));
      this.client.on('reconnecting', () => this.onDown('reconnecting'));
    }
  }

  get ready(): boolean {
    return this.isReady;
  }

  get isCluster(): boolean {
    return this.cluster !== undefined;
  }

  /** Starts connecting; resolves once connected or after `waitMs` (reconnects continue). */
  async connect(waitMs = 3000): Promise<boolean> {
    const connecting = this.client
      ? this.client.connect().then(() => undefined)
      : this.cluster!.connect().then(() => this.onReady());
    connecting.catch((e: unknown) => this.onError(e as Error));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, waitMs);
    });
    await Promise.race([connecting.catch(() => undefined), timeout]);
    clearTimeout(timer);
    return this.isReady;
  }

  private onReady(): void {
    const wasDown = !this.isReady;
    this.isReady = true;
    if (wasDown && this.downSince !== undefined) {
      this.options.log.info({ store: 'redis', link: this.options.name }, 'redis connected');
    }
    this.downSince = undefined;
    for (const l of this.readyListeners) l();
  }

  private onDown(reason: string): void {
    if (this.isReady) {
      this.options.log.warn(
        { store: 'redis', link: this.options.name, reason },
        'redis connection lost; retrying',
      );
    }
    this.isReady = false;
    this.downSince ??= Date.now();
  }

  private onError(e: Error): void {
    const msg = e?.message ?? String(e);
    if (msg !== this.lastError) {
      this.options.log.warn({ store: 'redis', link: this.options.name, err: msg }, 'redis error');
      this.lastError = msg;
    }
    if (this.client && !this.client.isReady) this.onDown(msg);
  }

  /** Registers a callback for every (re)connection. */
  onReadyEvent(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Sends a raw command, routed by `key` on a cluster. */
  send<T = Reply>(key: string | undefined, args: string[], readonly = false): Promise<T> {
    if (this.client) return this.client.sendCommand<T>(args);
    return this.cluster!.sendCommand<T>(key, readonly, args);
  }

  /** EVALSHA, loading the script on NOSCRIPT (after a Redis restart the cache is empty). */
  async evalScript<T = Reply>(
    script: LuaScript,
    keys: string[],
    args: string[],
    readonly = false,
  ): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send<T>(keys[0], ['EVALSHA', script.sha, ...tail], readonly);
    } catch (e) {
      if (!String((e as Error).message).startsWith('NOSCRIPT')) throw e;
      return this.send<T>(keys[0], ['EVAL', script.source, ...tail], readonly);
    }
  }

  /** A separate connection for blocking reads (XREAD BLOCK must not stall the shared one). */
  async duplicate(name: string): Promise<RedisLink> {
    const link = new RedisLink({ ...this.options, name });
    await link.connect();
    return link;
  }

  async close(): Promise<void> {
    this.readyListeners.clear();
    try {
      if (this.client) {
        if (this.client.isOpen) await this.client.close();
      } else await this.cluster!.close();
    } catch {
      // Already closed.
    }
    this.isReady = false;
  }
}
