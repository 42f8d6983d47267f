/** Real processes for end-to-end tests: the built CLI, private redis-servers, waiting helpers. */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const CLI = join(ROOT, 'bin/alphapulse.js');

export interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnProc(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, name = cmd): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const m = line.match(waiters[i]!.re);
        if (m) {
          waiters[i]!.resolve(m);
          waiters.splice(i, 1);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    lines,
    exited,
    waitForLine(re, timeoutMs = 20_000) {
      for (const l of lines) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((res, rej) => {
        const t = setTimeout(
          () =>
            rej(
              new Error(
                `${name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(t);
            res(m);
          },
        });
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs the built CLI (`npm run build` first; the test script does). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, name = args[0] ?? 'cli'): Proc {
  return spawnProc(process.execPath, [CLI, ...args], { LOG_LEVEL: 'info', ...env }, name);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts the simulator process and reads the URLs it prints. */
export async function startSimulator(flags: string[]): Promise<{ proc: Proc; env: Record<string, string> }> {
  const proc = spawnCli(['simulate', '--coinbase-port', '0', '--kraken-port', '0', ...flags], {}, 'simulate');
  const env: Record<string, string> = {};
  for (const name of ['COINBASE_WS_URL', 'COINBASE_REST_URL', 'KRAKEN_WS_URL', 'KRAKEN_REST_URL']) {
    const wanted = flags.join(' ');
    if (name.startsWith('KRAKEN') && /--exchanges\s+coinbase(\s|$)/.test(wanted)) continue;
    if (name.startsWith('COINBASE') && /--exchanges\s+kraken(\s|$)/.test(wanted)) continue;
    const m = await proc.waitForLine(new RegExp(`^export ${name}=(\\S+)`));
    env[name] = m[1]!;
  }
  return { proc, env };
}

/** A private redis-server (so a test may stop, pause or restart it). */
export class PrivateRedis {
  proc: Proc | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'ap-redis-'));
  constructor(
    readonly port: number,
    private readonly persistent: boolean,
  ) {}

  static async start(persistent = true): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), persistent);
    await r.startProcess();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startProcess(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    // appendfsync always: a restart loses nothing that was acknowledged.
    if (this.persistent) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    this.proc = spawnProc('redis-server', args, {}, `redis:${this.port}`);
    await this.proc.waitForLine(/Ready to accept connections/, 10_000);
  }

  async stop(): Promise<void> {
    await this.proc?.kill('SIGTERM');
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.startProcess();
  }
}
