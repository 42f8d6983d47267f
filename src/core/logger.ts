/** Structured JSON-lines logging (pino); human-readable when stdout is a terminal. */

import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel = 'info', name = 'alphapulse'): Logger {
  const options = { name, level, base: { pid: process.pid } };
  if (process.stdout.isTTY) {
    // Loaded only for a terminal: services write JSON and need not carry the prettifier.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing, for library use in tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Logs the first occurrence of each kind of problem at warn level and then only counts,
 * so a flood of bad frames cannot flood the log.
 */
export class OncePerKind {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly log: Logger,
    private readonly maxKinds = 1000,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const n = this.seen.get(kind);
    if (n !== undefined) {
      this.seen.set(kind, n + 1);
      return;
    }
    if (this.seen.size < this.maxKinds) this.seen.set(kind, 1);
    this.log.warn({ kind, ...fields }, `${message} (logged once per kind; further ones are only counted)`);
  }
}
