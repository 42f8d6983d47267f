/**
 * A private Redis Cluster for tests, made from scratch: n `redis-server --cluster-enabled yes`
 * on free loopback ports, joined with `redis-cli --cluster create` (masters only), ready once
 * every node reports `cluster_state:ok` and the same slot map.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster } from 'redis';
import { type Proc, spawnProc, waitFor } from '../helpers/process.js';

/** A port p with p and p + 10000 (the cluster bus) both free. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  const canBind = (port: number) =>
    new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 35000);
    if (taken.has(p) || taken.has(p + 10000) || taken.has(p - 10000)) continue;
    if ((await canBind(p)) && (await canBind(p + 10000))) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

export type PlainClient = ReturnType<typeof createClient>;

export class LocalCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'ap-cluster-'));
  private readonly procs = new Map<number, Proc>();

  private constructor(readonly ports: number[]) {}

  /** Starts the nodes and (unless `create` is false) joins them into a cluster. */
  static async start(masters = 3, create = true): Promise<LocalCluster> {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await freeClusterPort(taken));
    const c = new LocalCluster(ports);
    try {
      await Promise.all(ports.map((p) => c.startNode(p)));
      if (create) await c.create();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** `redis-cli --cluster create` over every node (masters only), then waits for `cluster_state:ok`. */
  async create(): Promise<void> {
    const args = ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`)];
    const create = spawnProc(
      'redis-cli',
      [...args, '--cluster-replicas', '0', '--cluster-yes'],
      {},
      'redis-cli --cluster create',
    );
    const code = await create.exited;
    if (code !== 0)
      throw new Error(`redis-cli --cluster create failed (${code}):\n${create.lines.join('\n')}`);
    await this.waitOk();
  }

  /** `host:port,...` as REDIS_CLUSTER_NODES takes it. */
  get nodeList(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  url(i: number): string {
    return `redis://127.0.0.1:${this.ports[i]}`;
  }

  async startNode(port: number): Promise<void> {
    const proc = spawnProc(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '5000',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      {},
      `redis:${port}`,
    );
    this.procs.set(port, proc);
    const ready = proc.waitForLine(/Ready to accept connections/, 10_000);
    const died = proc.exited.then((code) => {
      throw new Error(
        `redis-server --cluster-enabled yes on ${port} exited (${code}); cluster support is required:\n${proc.lines.slice(-10).join('\n')}`,
      );
    });
    await Promise.race([ready, died]);
  }

  async stopNode(port: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.procs.get(port)?.kill(signal);
    this.procs.delete(port);
  }

  /** A plain (non-cluster) connection to one node, for per-node checks. */
  async node(port: number): Promise<PlainClient> {
    const c = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    return c;
  }

  /** Every node: `cluster_state:ok` and all 16384 slots assigned, the same map everywhere. */
  async waitOk(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        const maps: string[] = [];
        for (const port of this.ports) {
          const c = await this.node(port);
          try {
            const info = String(await c.sendCommand(['CLUSTER', 'INFO']));
            if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
            maps.push(JSON.stringify(await this.slotMap(c)));
          } finally {
            c.destroy();
          }
        }
        return maps.every((m) => m === maps[0]);
      },
      timeoutMs,
      100,
    );
  }

  /** [from, to, port] of every slot range, sorted. */
  async slotMap(c?: PlainClient): Promise<[number, number, number][]> {
    const own = c ?? (await this.node(this.ports[0]!));
    try {
      const raw = (await own.sendCommand(['CLUSTER', 'SLOTS'])) as [
        number,
        number,
        [string, number, string],
      ][];
      return raw
        .map(
          ([from, to, master]) => [Number(from), Number(to), Number(master[1])] as [number, number, number],
        )
        .sort((a, b) => a[0] - b[0]);
    } finally {
      if (!c) own.destroy();
    }
  }

  /** The port of the master serving `slot`. */
  async ownerOf(slot: number): Promise<number> {
    const map = await this.slotMap();
    const r = map.find(([from, to]) => slot >= from && slot <= to);
    if (!r) throw new Error(`slot ${slot} unassigned`);
    return r[2];
  }

  /** A cluster client (node-redis) for checks from outside the system under test. */
  async clusterClient() {
    const c = createCluster({ rootNodes: [{ url: this.url(0) }] });
    c.on('error', () => {});
    await c.connect();
    return c;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.kill('SIGKILL')));
    this.procs.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
