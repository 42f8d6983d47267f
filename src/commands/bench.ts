/** `alphapulse bench`: end-to-end benchmark, human table on the terminal and optional JSON. */

import { writeFileSync } from 'node:fs';
import { formatResult, runBench } from '../bench/run-bench.js';
import type { Config } from '../core/config.js';
import { usageError } from './usage.js';

function positive(name: string, v: unknown, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    usageError(`invalid option --${name} ${JSON.stringify(v)}: must be a number in (0, ${max}]`);
  return n;
}

export async function benchCommand(config: Config, opts: Record<string, unknown>): Promise<void> {
  const rate = positive('rate', opts.rate, 10_000_000);
  const durationS = positive('duration', opts.duration, 86_400);
  const markets = Math.round(positive('markets', opts.markets, 16));
  const tty = process.stderr.isTTY === true;
  const compression = opts.compressed === true;
  const realtime = opts.realtime === true;
  process.stderr.write(
    `alphapulse bench: ${rate.toLocaleString()} trades/s over ${markets} market(s) for ${durationS} s${compression ? ', permessage-deflate' : ''}${realtime ? ', real-time scheduling' : ''}\n`,
  );
  const result = await runBench(
    {
      rate,
      durationS,
      markets,
      compression,
      realtime,
      redisUrl: config.REDIS_URL,
      progress: tty,
      batchTimeoutMs: config.BATCH_TIMEOUT_MS,
      bufferSize: config.BUFFER_SIZE,
    },
    (line) => process.stderr.write(`  ${line}\n`),
  );
  process.stdout.write(`${formatResult(result)}\n`);
  if (typeof opts.json === 'string') writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.lost === 0 ? 0 : 1;
}
