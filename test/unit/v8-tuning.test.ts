import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tuneHeap } from '../../src/core/v8-tuning.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

describe('tuneHeap', () => {
  it('turns pretenuring off when nothing says otherwise', () => {
    expect(tuneHeap([], '')).toBe(true);
  });

  it('leaves an explicit pretenuring flag alone, on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeap(['--allocation-site-pretenuring'], '')).toBe(false);
    expect(tuneHeap([], '--max-old-space-size=512 --no-allocation-site-pretenuring')).toBe(false);
    expect(tuneHeap(['--max-semi-space-size=8'], '--enable-source-maps')).toBe(true);
  });
});

describe('String.prototype after loading the Redis client', () => {
  // V8's own view of the object's mode; only a child process may use natives syntax.
  const fastAfter = (modules: string[]) => {
    const imports = modules.map((m) => `await import(${JSON.stringify(m)});`).join(' ');
    const r = spawnSync(
      process.execPath,
      [
        '--allow-natives-syntax',
        '--input-type=module',
        '-e',
        `${imports} console.log(%HasFastProperties(String.prototype));`,
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };

  it('is left in dictionary mode by node-redis alone (the reason for the fix)', () => {
    expect(fastAfter(['redis'])).toBe('false');
  });

  it('is fast again once our Redis link is loaded, and stays fast for the collector and the API', () => {
    expect(fastAfter(['./dist/store/redis/link.js'])).toBe('true');
    expect(fastAfter(['./dist/commands/collect.js', './dist/commands/serve.js'])).toBe('true');
  });
});
