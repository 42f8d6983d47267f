/** `alphapulse simulate` as a process (needs `npm run build`: bin/alphapulse.js runs dist/). */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alphapulse.js');
let dir: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/commands/simulate.js'))) throw new Error('run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'alphapulse-sim-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForOutput(r: Run, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let i = 0; i < 1500; i++) {
    const m = r.stdout().match(pattern);
    if (m) return m;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`no ${pattern} in output:\n${r.stdout()}\n${r.stderr()}`);
}

const EXPORTS =
  /^export COINBASE_WS_URL=ws:\/\/127\.0\.0\.1:(\d+)\nexport COINBASE_REST_URL=http:\/\/127\.0\.0\.1:(\d+)\nexport KRAKEN_WS_URL=ws:\/\/127\.0\.0\.1:(\d+)\/v2\nexport KRAKEN_REST_URL=http:\/\/127\.0\.0\.1:(\d+)$/m;

describe('alphapulse simulate', () => {
  it('prints the URLs, runs for --duration, writes the truth file, serves during --linger and exits 0', async () => {
    const truthFile = join(dir, 'truth.json');
    const r = run([
      '--coinbase-port',
      '0',
      '--kraken-port',
      '0',
      '--rate',
      '50',
      '--duration',
      '1',
      '--linger',
      '1.5',
      '--symbols',
      'BTC-USD,eth/usd',
      '--seed',
      '4',
      '--truth-file',
      truthFile,
    ]);
    const [, cbWs, cbRest, krWs, krRest] = await waitForOutput(r, EXPORTS);
    expect(cbWs).toBe(cbRest);
    expect(krWs).toBe(krRest);
    expect(Number(cbWs)).toBeGreaterThan(0);
    expect(cbWs).not.toBe(krWs);
    await waitForOutput(r, /^kraken\s+ETH-USD\s+\d+/m);
    // Still serving while it lingers: REST has the trades made.
    const trades = (await (
      await fetch(`http://127.0.0.1:${cbRest}/products/BTC-USD/trades`)
    ).json()) as unknown[];
    expect(trades).toHaveLength(50);
    expect(await r.exit).toBe(0);

    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(Object.keys(truth)).toEqual(['coinbase', 'kraken']);
    for (const exchange of ['coinbase', 'kraken']) {
      expect(Object.keys(truth[exchange]!)).toEqual(['BTC-USD', 'ETH-USD']);
      for (const t of Object.values(truth[exchange]!)) {
        expect(t.count).toBe(50); // rate x duration, exactly
        expect(Number(t.last_trade_id) - Number(t.first_trade_id) + 1).toBe(50);
        const row = new RegExp(
          `^${exchange}\\s+\\S+\\s+50\\s+${t.first_trade_id}\\s+${t.last_trade_id}$`,
          'm',
        );
        expect(r.stdout()).toMatch(row);
      }
    }
  });

  it('stops on SIGTERM: prints the counts, writes the truth file and exits 0', async () => {
    const truthFile = join(dir, 'signal.json');
    const r = run([
      '--coinbase-port',
      '0',
      '--kraken-port',
      '0',
      '--rate',
      '200',
      '--exchanges',
      'kraken',
      '--symbols',
      'SOL-EUR',
      '--truth-file',
      truthFile,
      '--gap-every',
      '5',
    ]);
    await waitForOutput(r, /^export KRAKEN_REST_URL=/m);
    expect(r.stdout()).not.toMatch(/COINBASE/);
    await new Promise((res) => setTimeout(res, 300));
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<
      string,
      Record<string, { count: number }>
    >;
    const count = truth.kraken!['SOL-EUR']!.count;
    expect(count).toBeGreaterThan(0);
    expect(r.stdout()).toMatch(new RegExp(`^kraken\\s+SOL-EUR\\s+${count}\\s`, 'm'));
  });

  it.each([
    [['--rate', 'x'], /^alphapulse: invalid option --rate "x": must be /],
    [['--symbols', 'BTC-USD,B$D'], /^alphapulse: invalid option --symbols "BTC-USD,B\$D": must be /],
    [['--kraken-port', '70000'], /^alphapulse: invalid option --kraken-port "70000": must be /],
    [['--gap-every', '0'], /^alphapulse: invalid option --gap-every "0": must be /],
    [['--exchanges', 'binance'], /^alphapulse: invalid option --exchanges "binance": must be /],
  ])('rejects %j with one line on stderr and exit code 2', (args, message) => {
    const r = spawnSync(process.execPath, [BIN, 'simulate', ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
