/**
 * Real-time scheduling for benchmark processes (`alphapulse bench --realtime`). With three
 * busy processes on two cores, a process woken by a socket usually waits in the run queue
 * behind another one's time slice; that wait, not the work, makes the latency tail. Under
 * SCHED_FIFO a woken process preempts time-shared work at once. Set with util-linux `chrt`
 * (needs CAP_SYS_NICE), the same thing `CPUSchedulingPolicy=fifo` does in a systemd unit.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Priorities under --realtime. The simulator stands in for a remote exchange, so it gets a
 * real-time class too (its sends are not delayed by ordinary work) but below the collector
 * and Redis, which preempt it.
 */
export const REALTIME_PRIORITY = { redis: 10, collector: 10, simulator: 5 } as const;

const POLICY_NAMES: Record<number, string> = {
  0: 'SCHED_OTHER',
  1: 'SCHED_FIFO',
  2: 'SCHED_RR',
  3: 'SCHED_BATCH',
  5: 'SCHED_IDLE',
  6: 'SCHED_DEADLINE',
};

/** A process's scheduling policy and real-time priority as the kernel reports them. */
export function schedulingOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name start at field 3; rt_priority is 40, policy 41.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const priority = Number(rest[37]);
    const policy = Number(rest[38]);
    const name = POLICY_NAMES[policy] ?? `policy ${policy}`;
    return policy === 1 || policy === 2 ? `${name} ${priority}` : name;
  } catch {
    return 'unknown';
  }
}

/** Puts every thread of `pid` under SCHED_FIFO at `priority`; throws a readable error if refused. */
export function setRealtime(pid: number, priority: number, what: string): void {
  try {
    execFileSync('chrt', ['--all-tasks', '--fifo', '--pid', String(priority), String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why =
      err.code === 'ENOENT' ? 'chrt (util-linux) is not installed' : String(err.stderr ?? err.message).trim();
    throw new Error(
      `--realtime: could not put the ${what} under SCHED_FIFO ${priority}: ${why} (needs CAP_SYS_NICE, e.g. root)`,
    );
  }
}
