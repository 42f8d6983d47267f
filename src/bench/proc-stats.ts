/** Process CPU and memory from /proc (Linux), for benchmark reports. */

import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by a process. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** Current and peak resident set size in MB. */
export function rssMb(pid: number): { current: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { current: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export function machineDescription(): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  return cpu;
}

/**
 * Seconds the process's main thread spent runnable but waiting for a CPU (Linux schedstat;
 * 0 when unavailable). High values mean other work on the machine delayed it.
 */
export function runQueueWaitSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return Number(f[1] ?? 0) / 1e9;
  } catch {
    return 0;
  }
}
