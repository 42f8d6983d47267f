/**
 * A thin seam over node-redis so the store speaks the same way to one server or to a
 * Redis Cluster. node-redis writes every command issued in one event-loop turn in one
 * socket write (auto-pipelining, per node on a cluster): that is how a turn's batches
 * leave in one round trip.
 *
 * Which of the two it is:
 * - `REDIS_CLUSTER_NODES` given: a cluster, those nodes are the seeds (credentials and TLS
 *   come from `REDIS_URL` when it is set too).
 * - `REDIS_URL` only: the URL's server is asked `INFO cluster` once, on the first connection.
 *   `cluster_enabled:1` switches to a cluster client with that node as the seed (the rest of
 *   the cluster is discovered from it); anything else stays the plain client, which is then
 *   used unchanged. Until the answer is in, the link is not ready and commands fail fast.
 *
 * `ready` on a cluster = every slot is served by a master whose connection is up (the whole
 * keyspace is reachable). While a master stays unreachable the slot map is refreshed from a
 * live node (a failover promotes a replica elsewhere); a map with unserved slots (a cluster
 * still being created) is rebuilt from the seeds and every node seen so far.
 *
 * Blocking reads (XREAD BLOCK) must not stall the shared connections: `acquireBlocking`
 * hands out dedicated connections, pooled per node.
 */

import { createClient, createCluster } from 'redis';
import type { Logger } from '../../core/logger.js';
import { restoreFastStringPrototype } from '../../core/v8-tuning.js';
import type { LuaScript } from './scripts.js';
import { keySlot, SLOT_COUNT } from './slot.js';

// Loading node-redis left String.prototype slow for every string method call (see there).
restoreFastStringPrototype();

type Reply = unknown;

/** A command argument: text, or bytes (large packed batches go as one Buffer). */
export type RedisArg = string | Buffer;
type Client = ReturnType<typeof createClient>;
type Cluster = ReturnType<typeof createCluster>;

export interface RedisLinkOptions {
  url?: string | undefined;
  clusterNodes?: string[] | undefined;
  log: Logger;
  name?: string;
}

export type LinkMode = 'single' | 'cluster';

/** A dedicated connection for one blocking command at a time (see acquireBlocking). */
export interface BlockingConnection {
  readonly client: Client;
  /** `host:port` of the node (`single` for a plain server). */
  readonly node: string;
}

interface NodeAddress {
  host: string;
  port: number;
}

/** What a URL says besides the address: applied to every node of a cluster. */
interface Access {
  username?: string;
  password?: string;
  tls: boolean;
  database: number;
}

/** Backoff for reconnects: 50 ms doubling to 2 s, with jitter. */
function reconnectDelay(retries: number): number {
  const base = Math.min(50 * 2 ** retries, 2000);
  return Math.round(base * (0.5 + Math.random() / 2));
}

const CONNECT_TIMEOUT_MS = 5000;
/** Idle blocking connections kept per node. */
const MAX_IDLE_BLOCKING = 32;
/** A master unreachable this long: refresh the slot map from a live node. */
const MASTER_DOWN_REDISCOVER_MS = 3000;
/** Unserved slots this long: rebuild the cluster client from the seeds. */
const UNCOVERED_REBUILD_MS = 2000;

function parseAccess(url: string | undefined): Access & Partial<NodeAddress> {
  if (!url) return { tls: false, database: 0 };
  const u = new URL(url);
  const out: Access & Partial<NodeAddress> = {
    tls: u.protocol === 'rediss:',
    database: u.pathname.length > 1 ? Number(u.pathname.slice(1)) || 0 : 0,
    host: stripBrackets(u.hostname || '127.0.0.1'),
    port: u.port ? Number(u.port) : 6379,
  };
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  return out;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `host:port` or `[v6]:port`. */
export function parseNode(spec: string): NodeAddress {
  const i = spec.lastIndexOf(':');
  return { host: stripBrackets(spec.slice(0, i)), port: Number(spec.slice(i + 1)) };
}

/** destroy() throws on a client that is already closed. */
function destroyQuietly(client: { isOpen: boolean; destroy(): void } | undefined, always = false): void {
  try {
    if (client && (always || client.isOpen)) client.destroy();
  } catch {
    // Already closed.
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class RedisLink {
  private client: Client | undefined;
  private cluster: Cluster | undefined;
  /** undefined while the URL's server has not told whether it is a cluster node. */
  private linkMode: LinkMode | undefined;
  private readonly access: Access;
  private seeds: NodeAddress[] = [];
  private readonly knownNodes = new Map<string, NodeAddress>();
  private started = false;
  private closed = false;
  private probing = false;
  private isReady = false;
  private readonly readyListeners = new Set<() => void>();
  private downSince: number | undefined = Date.now();
  private lastError = '';
  // Cluster state.
  private clusterConnecting: Promise<void> | undefined;
  private clusterTimer: NodeJS.Timeout | undefined;
  private coverageOf: unknown;
  private covered = false;
  private uncoveredSince: number | undefined;
  private masterDownSince: number | undefined;
  private lastRepair = 0;
  private loggedRebuild = false;
  // Blocking connections.
  private readonly idle = new Map<string, BlockingConnection[]>();
  private readonly lent = new Set<BlockingConnection>();

  constructor(private readonly options: RedisLinkOptions) {
    const { url, clusterNodes } = options;
    const parsed = parseAccess(url);
    this.access = parsed;
    if (clusterNodes && clusterNodes.length > 0) {
      this.linkMode = 'cluster';
      this.seeds = clusterNodes.map(parseNode);
      this.cluster = this.newCluster();
    } else if (url) {
      this.client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: reconnectDelay, connectTimeout: CONNECT_TIMEOUT_MS },
      });
      this.seeds = [{ host: parsed.host!, port: parsed.port! }];
      this.attachClient(this.client);
    } else {
      throw new Error('RedisLink needs a URL or cluster nodes');
    }
  }

  get ready(): boolean {
    return this.linkMode === 'cluster' ? this.clusterUp() : this.isReady;
  }

  get isCluster(): boolean {
    return this.linkMode === 'cluster';
  }

  /** `single` or `cluster`; undefined until the server answered whether it is a cluster node. */
  get mode(): LinkMode | undefined {
    return this.linkMode;
  }

  /** Starts connecting; resolves once connected or after `waitMs` (reconnects continue). */
  async connect(waitMs = 3000): Promise<boolean> {
    if (!this.started) {
      this.started = true;
      if (this.client) this.client.connect().catch((e: unknown) => this.onError(e as Error));
      else this.startCluster();
    }
    if (this.ready) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const off = this.onReadyEvent(done);
    });
    return this.ready;
  }

  // ---- single server, and telling a cluster node from it ----

  private attachClient(client: Client): void {
    client.on('error', (e: Error) => {
      if (this.client !== client) return;
      this.onError(e);
      // A URL with a database number fails the handshake on a cluster node (SELECT).
      if (this.linkMode === undefined && /SELECT is not allowed in cluster mode/i.test(e?.message ?? '')) {
        this.switchToCluster();
      }
    });
    client.on('ready', () => {
      if (this.client === client) this.onClientReady(client);
    });
    client.on('end', () => {
      if (this.client === client) this.onDown('connection closed');
    });
    client.on('reconnecting', () => {
      if (this.client === client) this.onDown('reconnecting');
    });
  }

  private onClientReady(client: Client): void {
    if (this.linkMode === 'single') {
      this.onReady();
      return;
    }
    if (this.probing) return;
    this.probing = true;
    void this.probe(client).finally(() => {
      this.probing = false;
    });
  }

  /** INFO cluster on the URL's server: a cluster node switches the link to cluster mode. */
  private async probe(client: Client): Promise<void> {
    let enabled = false;
    try {
      const info = await client.sendCommand<string>(['INFO', 'cluster']);
      enabled = /^cluster_enabled:1\b/m.test(String(info));
    } catch (e) {
      // Lost the connection: ask again on the next one. Refused (INFO renamed or denied):
      // a cluster would have to answer it, so this is a plain server.
      if (!client.isReady) return;
      this.options.log.debug({ err: (e as Error).message }, 'INFO cluster refused; assuming a single server');
    }
    if (this.closed || this.client !== client || this.linkMode !== undefined) return;
    if (enabled) this.switchToCluster();
    else {
      this.linkMode = 'single';
      this.onReady();
    }
  }

  private switchToCluster(): void {
    if (this.closed || this.linkMode !== undefined) return;
    const { log, name } = this.options;
    log.info(
      { store: 'redis', link: name, seed: this.seeds.map((s) => `${s.host}:${s.port}`) },
      'REDIS_URL is a Redis Cluster node: using the cluster (the other nodes are discovered from it)',
    );
    if (this.access.database !== 0) {
      log.warn(
        { store: 'redis', link: name, database: this.access.database },
        'the database number of REDIS_URL is ignored: a Redis Cluster has database 0 only',
      );
    }
    const old = this.client;
    this.client = undefined;
    destroyQuietly(old);
    this.linkMode = 'cluster';
    this.cluster = this.newCluster();
    this.startCluster();
  }

  // ---- cluster ----

  private nodeSocket(node: NodeAddress) {
    return this.access.tls
      ? { host: node.host, port: node.port, tls: true as const }
      : { host: node.host, port: node.port };
  }

  private credentials(): { username?: string; password?: string } {
    const out: { username?: string; password?: string } = {};
    if (this.access.username) out.username = this.access.username;
    if (this.access.password) out.password = this.access.password;
    return out;
  }

  private newCluster(): Cluster {
    const roots = new Map<string, NodeAddress>();
    for (const n of [...this.seeds, ...this.knownNodes.values()]) roots.set(`${n.host}:${n.port}`, n);
    const cluster = createCluster({
      rootNodes: [...roots.values()].map((n) => ({ socket: this.nodeSocket(n) })),
      defaults: {
        ...this.credentials(),
        disableOfflineQueue: true,
        socket: {
          ...(this.access.tls ? { tls: true as const } : {}),
          reconnectStrategy: reconnectDelay,
          connectTimeout: CONNECT_TIMEOUT_MS,
        },
      },
    });
    const mine = () => this.cluster === cluster;
    cluster.on('error', (e: Error) => {
      if (mine()) this.onError(e);
    });
    cluster.on('node-error', (e: Error, node: NodeAddress) => {
      if (!mine()) return;
      this.onError(e, node);
    });
    for (const event of ['node-ready', 'node-reconnecting', 'node-disconnect', 'connect']) {
      cluster.on(event, () => {
        if (mine()) this.refreshCluster();
      });
    }
    this.coverageOf = undefined;
    this.covered = false;
    return cluster;
  }

  /** Connects the cluster client, retrying until it is open (the seeds may be down). */
  private startCluster(): void {
    this.clusterTimer ??= setInterval(() => this.refreshCluster(), 500);
    this.clusterTimer.unref();
    if (this.clusterConnecting) return;
    const cluster = this.cluster!;
    this.clusterConnecting = (async () => {
      let retries = 0;
      while (!this.closed && this.cluster === cluster && !cluster.isOpen) {
        try {
          await cluster.connect();
        } catch (e) {
          this.onError(e as Error);
          await sleep(reconnectDelay(retries++));
        }
      }
    })().finally(() => {
      this.clusterConnecting = undefined;
      this.refreshCluster();
    });
  }

  /** Every slot served by a master whose connection is up. */
  private clusterUp(): boolean {
    const c = this.cluster;
    if (!c?.isOpen) return false;
    const masters = c.masters;
    if (masters.length === 0) return false;
    if (masters !== this.coverageOf) {
      // The slot map is rebuilt as a whole (new arrays) on every discovery: check it once.
      this.coverageOf = masters;
      const slots = c.slots;
      let all = true;
      for (let i = 0; i < SLOT_COUNT; i++) {
        if (!slots[i]?.master) {
          all = false;
          break;
        }
      }
      this.covered = all;
      for (const m of masters) this.knownNodes.set(`${m.host}:${m.port}`, { host: m.host, port: m.port });
    }
    if (!this.covered) return false;
    for (const m of masters) if (!m.client?.isReady) return false;
    return true;
  }

  /** Publishes state changes of the cluster and repairs a stale slot map. */
  private refreshCluster(): void {
    const c = this.cluster;
    if (!c || this.closed || this.linkMode !== 'cluster') return;
    const up = this.clusterUp();
    if (up) {
      this.loggedRebuild = false;
      this.uncoveredSince = undefined;
      this.masterDownSince = undefined;
      if (!this.isReady) this.onReady();
      return;
    }
    if (this.isReady) this.onDown('a cluster node is unreachable');
    if (!c.isOpen) return;
    const now = Date.now();
    if (now - this.lastRepair < 2000) return;
    if (!this.covered) {
      if (this.clusterConnecting) return;
      this.uncoveredSince ??= now;
      if (now - this.uncoveredSince < UNCOVERED_REBUILD_MS) return;
      // No master for some slots (a cluster still being created, or the map is stale):
      // start over from the seeds and every node seen so far.
      this.lastRepair = now;
      this.uncoveredSince = undefined;
      const level = this.loggedRebuild ? 'debug' : 'info';
      this.loggedRebuild = true;
      this.options.log[level](
        { store: 'redis', link: this.options.name },
        'cluster slot map incomplete (cluster not formed yet, or changed); rediscovering from the seeds',
      );
      const old = c;
      this.cluster = this.newCluster();
      destroyQuietly(old, true);
      this.startCluster();
      return;
    }
    this.masterDownSince ??= now;
    if (now - this.masterDownSince < MASTER_DOWN_REDISCOVER_MS) return;
    // A master is unreachable: ask a live node for the slot map (after a failover a replica
    // serves those slots now; commands to the old master fail fast meanwhile).
    const live = c.masters.find((m) => m.client?.isReady)?.client;
    if (!live) return;
    this.lastRepair = now;
    void c._slots
      .rediscover(live as unknown as Parameters<typeof c._slots.rediscover>[0])
      .catch(() => undefined);
  }

  // ---- state ----

  private onReady(): void {
    const wasDown = !this.isReady;
    this.isReady = true;
    if (wasDown && this.downSince !== undefined) {
      this.options.log.info(
        { store: 'redis', link: this.options.name, mode: this.linkMode },
        'redis connected',
      );
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

  private onError(e: Error, node?: NodeAddress): void {
    if (this.closed) return;
    const msg = e?.message ?? String(e);
    const where = node ? `${node.host}:${node.port}` : undefined;
    const key = `${where ?? ''} ${msg}`;
    if (key !== this.lastError) {
      this.options.log.warn(
        { store: 'redis', link: this.options.name, err: msg, ...(where ? { node: where } : {}) },
        'redis error',
      );
      this.lastError = key;
    }
    if (this.client && !this.client.isReady) this.onDown(msg);
    else if (this.linkMode === 'cluster') this.refreshCluster();
  }

  /** Registers a callback for every (re)connection. */
  onReadyEvent(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  // ---- commands ----

  /** Sends a raw command, routed by `key` on a cluster (no key: any node). */
  send<T = Reply>(key: string | undefined, args: RedisArg[], readonly = false): Promise<T> {
    if (this.linkMode === 'single') return this.client!.sendCommand<T>(args);
    if (this.cluster?.isOpen) return this.cluster.sendCommand<T>(key, readonly, args);
    return Promise.reject(new Error('redis is not connected'));
  }

  /** EVALSHA, loading the script on NOSCRIPT (after a Redis restart the cache is empty). */
  async evalScript<T = Reply>(
    script: LuaScript,
    keys: string[],
    args: RedisArg[],
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

  /** PING the server, or every master of a cluster. */
  async ping(): Promise<void> {
    if (this.linkMode === 'single') {
      await this.client!.sendCommand(['PING']);
      return;
    }
    const c = this.cluster;
    if (!c?.isOpen || c.masters.length === 0) throw new Error('redis is not connected');
    await Promise.all(
      c.masters.map(async (m) => {
        const client = await c.nodeClient(m);
        await client.sendCommand(['PING']);
      }),
    );
  }

  /** The node (`host:port`) serving `key`'s slot; `single` for a plain server. */
  nodeFor(key: string): string | undefined {
    if (this.linkMode === 'single') return 'single';
    const master = this.cluster?.isOpen ? this.cluster.slots[keySlot(key)]?.master : undefined;
    return master ? `${master.host}:${master.port}` : undefined;
  }

  /**
   * A dedicated connection to the node serving `key` (any key on a single server), for a
   * blocking command. Give it back with releaseBlocking. It does not follow MOVED: a reply
   * with MOVED means the slot moved, and the next acquire finds the new node.
   */
  async acquireBlocking(key: string | undefined): Promise<BlockingConnection> {
    if (this.closed) throw new Error('redis link closed');
    let node: string;
    let address: NodeAddress;
    if (this.linkMode === 'single') {
      node = 'single';
      address = this.seeds[0]!;
    } else {
      const master =
        this.cluster?.isOpen && key !== undefined ? this.cluster.slots[keySlot(key)]?.master : undefined;
      if (!master) throw new Error('redis is not connected');
      address = { host: master.host, port: master.port };
      node = `${master.host}:${master.port}`;
    }
    const pool = this.idle.get(node);
    while (pool && pool.length > 0) {
      const conn = pool.pop()!;
      if (conn.client.isReady) {
        this.lent.add(conn);
        return conn;
      }
      destroyQuietly(conn.client);
    }
    const client =
      this.linkMode === 'single'
        ? createClient({
            url: this.options.url,
            disableOfflineQueue: true,
            socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
          })
        : createClient({
            ...this.credentials(),
            disableOfflineQueue: true,
            socket: {
              ...this.nodeSocket(address),
              connectTimeout: CONNECT_TIMEOUT_MS,
              reconnectStrategy: false,
            },
          });
    client.on('error', () => {
      // Reported by the command that fails; the connection is dropped on release.
    });
    const conn: BlockingConnection = { client, node };
    this.lent.add(conn);
    try {
      await client.connect();
    } catch (e) {
      this.lent.delete(conn);
      destroyQuietly(client);
      throw e;
    }
    if (this.closed) {
      this.lent.delete(conn);
      destroyQuietly(client);
      throw new Error('redis link closed');
    }
    return conn;
  }

  /** Returns a blocking connection to the pool (`reusable` false: close it). */
  releaseBlocking(conn: BlockingConnection, reusable = true): void {
    this.lent.delete(conn);
    let pool = this.idle.get(conn.node);
    if (!pool) {
      pool = [];
      this.idle.set(conn.node, pool);
    }
    if (reusable && !this.closed && conn.client.isReady && pool.length < MAX_IDLE_BLOCKING) pool.push(conn);
    else destroyQuietly(conn.client);
  }

  /** Blocking connections open now (idle and lent), for tests and diagnostics. */
  get blockingConnections(): number {
    let n = this.lent.size;
    for (const p of this.idle.values()) n += p.length;
    return n;
  }

  /** A separate link (its own connections) with the same configuration. */
  async duplicate(name: string): Promise<RedisLink> {
    const link = new RedisLink({ ...this.options, name });
    await link.connect();
    return link;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.readyListeners.clear();
    clearInterval(this.clusterTimer);
    for (const conn of this.lent) destroyQuietly(conn.client);
    this.lent.clear();
    for (const pool of this.idle.values()) for (const conn of pool) destroyQuietly(conn.client);
    this.idle.clear();
    const client = this.client;
    const cluster = this.cluster;
    const closing = (async () => {
      if (client) {
        if (client.isReady) await client.close();
        else destroyQuietly(client);
      } else if (cluster) {
        if (cluster.isOpen) await cluster.close();
        else destroyQuietly(cluster, true);
      }
    })().catch(() => undefined);
    // A graceful close waits for replies; a node that went away must not hold the exit.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), 2000);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      destroyQuietly(client);
      destroyQuietly(cluster, true);
    }
    this.isReady = false;
  }
}
