/**
 * `alphapulse simulate`: local Coinbase and Kraken simulators. Prints the URLs to export,
 * and when generation stops (--duration, or a signal) the exact count of trades made per
 * exchange and symbol, also written to --truth-file: the ground truth for loss checks.
 */

import { renameSync, writeFileSync } from 'node:fs';
import type { LogLevel } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { parseSymbolList } from '../core/symbols.js';
import { EXCHANGES, type Exchange } from '../core/types.js';
import { type RunningSimulators, type SimulatorOptions, startSimulators, type Truth } from '../sim/index.js';
import { SHUTDOWN_BUDGET_MS } from './lifecycle.js';
import { usageError } from './usage.js';

export type SimulateFlags = Record<string, string | undefined>;

export interface SimulateSettings {
  simulator: SimulatorOptions;
  /** Seconds to keep serving after --duration; undefined = until a signal. */
  lingerS: number | undefined;
  truthFile: string | undefined;
  logLevel: LogLevel;
}

export class FlagError extends Error {}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function invalid(flag: string, value: string, must: string): never {
  throw new FlagError(`invalid option --${flag} ${JSON.stringify(value)}: must be ${must}`);
}

function numberFlag(flag: string, value: string, min: number, max: number, integer: boolean): number {
  const ok = integer ? /^\d+$/.test(value.trim()) : /^\d+(\.\d+)?$/.test(value.trim());
  const n = Number(value);
  if (!ok || n < min || n > max) {
    invalid(flag, value, `${integer ? 'an integer' : 'a number'} ${min}..${max}`);
  }
  return n;
}

/** Optional positive integer flags (fault cadences, rate limit). */
function countFlag(flags: SimulateFlags, key: string, flag: string): number | undefined {
  const v = flags[key];
  return v === undefined ? undefined : numberFlag(flag, v, 1, 1_000_000_000, true);
}

/** Validates the flags of `alphapulse simulate`; throws FlagError naming the first bad one. */
export function parseSimulateFlags(flags: SimulateFlags): SimulateSettings {
  const get = (key: string, def: string) => flags[key] ?? def;
  const ratePerSymbol = numberFlag('rate', get('rate', '10'), 0, 10_000_000, false);
  let symbols: string[];
  try {
    symbols = parseSymbolList(get('symbols', 'BTC-USD,ETH-USD'));
  } catch (e) {
    invalid(
      'symbols',
      get('symbols', ''),
      `a comma-separated list of symbols like BTC-USD,ETH-USD (${(e as Error).message})`,
    );
  }
  if (symbols.length === 0)
    invalid('symbols', get('symbols', ''), 'a non-empty list of symbols like BTC-USD,ETH-USD');
  const exchangesText = get('exchanges', 'coinbase,kraken');
  const exchanges = [...new Set(exchangesText.split(',').map((s) => s.trim().toLowerCase()))].filter(Boolean);
  if (exchanges.length === 0 || !exchanges.every((e) => (EXCHANGES as readonly string[]).includes(e))) {
    invalid('exchanges', exchangesText, `a comma-separated list of ${EXCHANGES.join(', ')}`);
  }
  const seed = numberFlag('seed', get('seed', '1'), 0, 2 ** 32 - 1, true);
  const duration = flags.duration;
  const linger = flags.linger;
  const host = get('host', '127.0.0.1').trim();
  if (host === '') invalid('host', host, 'a host name or IP address');
  const logLevel = get('logLevel', 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    invalid('log-level', logLevel, LOG_LEVELS.join(', '));
  const truthFile = flags.truthFile;
  if (truthFile !== undefined && truthFile.trim() === '') invalid('truth-file', truthFile, 'a file path');
  return {
    simulator: {
      exchanges: exchanges as Exchange[],
      symbols,
      ratePerSymbol,
      seed,
      host,
      ports: {
        coinbase: numberFlag('coinbase-port', get('coinbasePort', '9101'), 0, 65535, true),
        kraken: numberFlag('kraken-port', get('krakenPort', '9102'), 0, 65535, true),
      },
      bookRate: numberFlag('book-rate', get('bookRate', '20'), 0, 100_000, false),
      durationS: duration === undefined ? undefined : numberFlag('duration', duration, 0, 1e9, false),
      faults: {
        dropEvery: countFlag(flags, 'dropEvery', 'drop-every'),
        gapEvery: countFlag(flags, 'gapEvery', 'gap-every'),
        badFrameEvery: countFlag(flags, 'badFrameEvery', 'bad-frame-every'),
        corruptChecksumEvery: countFlag(flags, 'corruptChecksumEvery', 'corrupt-checksum-every'),
      },
      restRps: countFlag(flags, 'restRps', 'rest-rps'),
      compression: flags.compression === 'true',
    },
    lingerS: linger === undefined ? undefined : numberFlag('linger', linger, 0, 1e9, false),
    truthFile,
    logLevel: logLevel as LogLevel,
  };
}

/** The `export NAME=url` lines for every simulated exchange. */
export function exportLines(urls: RunningSimulators['urls']): string[] {
  const lines: string[] = [];
  for (const [exchange, u] of Object.entries(urls)) {
    const name = exchange.toUpperCase();
    lines.push(`export ${name}_WS_URL=${u.ws}`, `export ${name}_REST_URL=${u.rest}`);
  }
  return lines;
}

/** A small fixed-width table of the trades made per exchange and symbol. */
export function truthTable(truth: Truth): string {
  const rows = [['exchange', 'symbol', 'count', 'first_trade_id', 'last_trade_id']];
  for (const [exchange, bySymbol] of Object.entries(truth)) {
    for (const [symbol, t] of Object.entries(bySymbol)) {
      rows.push([exchange, symbol, String(t.count), t.first_trade_id ?? '-', t.last_trade_id ?? '-']);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '),
  );
  return `trades made (ground truth, withheld ones included):\n${lines.join('\n')}\n`;
}

export async function simulateCommand(flags: SimulateFlags): Promise<void> {
  let settings: SimulateSettings;
  try {
    settings = parseSimulateFlags(flags);
  } catch (e) {
    if (e instanceof FlagError) usageError(e.message);
    throw e;
  }
  const log = createLogger(settings.logLevel, 'alphapulse-simulate');
  let sim: RunningSimulators;
  try {
    sim = await startSimulators({ ...settings.simulator, logger: log });
  } catch (e) {
    process.stderr.write(`alphapulse: simulate: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${exportLines(sim.urls).join('\n')}\n`);

  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    const truth = sim.truth();
    process.stdout.write(truthTable(truth));
    if (settings.truthFile) {
      // Written whole, then renamed: whoever waits for the file never reads half of it.
      const tmp = `${settings.truthFile}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(truth, null, 2)}\n`);
      renameSync(tmp, settings.truthFile);
      log.info({ file: settings.truthFile }, 'truth file written');
    }
  };

  let exiting = false;
  const exit = async (reason: string) => {
    if (exiting) return;
    exiting = true;
    log.info({ reason }, 'shutting down');
    // A clean shutdown fits the contract's 5 s budget; anything stuck is cut short.
    setTimeout(() => process.exit(0), SHUTDOWN_BUDGET_MS).unref();
    sim.stopGenerating();
    report();
    await sim.close();
    log.flush?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void exit('SIGINT'));
  process.once('SIGTERM', () => void exit('SIGTERM'));

  await sim.done;
  if (exiting) return;
  report();
  const linger = settings.lingerS;
  if (linger !== undefined) {
    log.info({ seconds: linger }, 'generation finished; serving until the linger time is over');
    setTimeout(() => void exit('linger elapsed'), linger * 1000);
  } else log.info('generation finished; serving until SIGINT/SIGTERM');
}
