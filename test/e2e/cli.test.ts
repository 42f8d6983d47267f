import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/process.js';

function run(args: string[], env: Record<string, string> = {}) {
  // An empty working directory: no .env file is read.
  const cwd = mkdtempSync(`${tmpdir()}/ap-cli-`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('alphapulse command line', () => {
  it('--help lists every command of the contract', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run', 'collect', 'serve', 'simulate', 'bench', 'archive']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c} `, 'm'));
    }
    expect(run(['run', '--help']).stdout).toContain('--simulate');
  });

  it.each([
    [
      ['collect'],
      { API_PORT: 'abc' },
      /^alphapulse: invalid configuration: API_PORT="abc" must be an integer/,
    ],
    [
      ['run'],
      { SYMBOLS: 'BTC-USD,not a symbol' },
      /^alphapulse: invalid configuration: SYMBOLS=.*invalid symbol "not a symbol"/,
    ],
    [['serve'], { EXCHANGES: 'binance' }, /^alphapulse: invalid configuration: EXCHANGES="binance" must be/],
    [
      ['collect', '--book-depth', '7'],
      {},
      /^alphapulse: invalid configuration: BOOK_DEPTH="7" must be one of/,
    ],
    [['run', '--redis-url', 'http://nope'], {}, /^alphapulse: invalid configuration: REDIS_URL=\(hidden\)/],
    [['collect', '--no-such-flag'], {}, /unknown option/],
  ])('%j with %j exits 2 with one line', (args, env, message) => {
    const r = run(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.stdout).toBe('');
  });

  it('flags win over the environment', () => {
    const r = run(['collect', '--api-port', 'x'], { API_PORT: '3001' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('API_PORT="x"');
  });
});
