/**
 * Real-time scheduling for benchmark processes: the policy is set with chrt and read back
 * from /proc. Setting SCHED_FIFO needs CAP_SYS_NICE (CI runs as root); without it these
 * tests say so and skip rather than pass.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { schedulingOf, setRealtime } from '../../src/bench/scheduling.js';

const children: ChildProcess[] = [];

function sleeper(): ChildProcess {
  const c = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('schedulingOf / setRealtime', () => {
  it('reads a time-shared process as SCHED_OTHER and an unknown pid as unknown', () => {
    expect(schedulingOf(sleeper().pid!)).toBe('SCHED_OTHER');
    expect(schedulingOf(2 ** 22 + 1)).toBe('unknown');
  });

  it('puts a process under SCHED_FIFO at the given priority, as /proc then reports', (ctx) => {
    const c = sleeper();
    try {
      setRealtime(c.pid!, 7, 'sleeper');
    } catch (e) {
      if (/not permitted|CAP_SYS_NICE/i.test((e as Error).message) && process.getuid?.() !== 0)
        ctx.skip(`no CAP_SYS_NICE here: ${(e as Error).message}`);
      throw e;
    }
    expect(schedulingOf(c.pid!)).toBe('SCHED_FIFO 7');
  });

  it('fails with the process named and the reason when chrt cannot do it', () => {
    expect(() => setRealtime(2 ** 22 + 1, 7, 'ghost')).toThrow(
      /--realtime: could not put the ghost under SCHED_FIFO 7: .+/,
    );
  });
});
