/**
 * The `alphapulse` command line (CONTRACT.md section 2). Every command takes the
 * configuration variables of section 3 as flags too (`REDIS_URL` -> `--redis-url`).
 */

import { Command, Option } from 'commander';
import { registerSimulateCommand } from './commands/simulate-cli.js';
import {
  type Config,
  ConfigError,
  flagName,
  loadConfig,
  VARIABLE_NAMES,
  VARIABLES,
  type VariableName,
} from './core/config.js';
import { tuneHeap } from './core/v8-tuning.js';
import { VERSION } from './version.js';

tuneHeap();

function addConfigOptions(cmd: Command, names: readonly VariableName[] = VARIABLE_NAMES): Command {
  for (const name of names) {
    const s = VARIABLES[name];
    const def = 'default' in s && s.default !== undefined ? ` (default ${s.default})` : '';
    cmd.addOption(new Option(`--${flagName(name)} <value>`, `${name}: ${s.allowed}${def}`));
  }
  return cmd;
}

/** Reads config from flags/env/.env; on a bad value prints one line and exits 2. */
export function configFrom(opts: Record<string, unknown>): Config {
  const flags: Partial<Record<VariableName, string>> = {};
  for (const name of VARIABLE_NAMES) {
    const key = flagName(name).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = opts[key];
    if (typeof v === 'string') flags[name] = v;
  }
  try {
    return loadConfig({ flags, env: process.env, cwd: process.cwd() });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`alphapulse: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const program = new Command('alphapulse')
  .description('AlphaPulse market data: exchange trades and order books -> Redis Streams -> HTTP API')
  .version(VERSION)
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride((err) => {
    // Bad flags are configuration errors: exit 2 like an invalid variable.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

addConfigOptions(
  program
    .command('run')
    .description('collectors + API server in one process (the default main job)')
    .option('--simulate', 'feed the collectors from in-process exchange simulators (offline demo)'),
).action(async (opts: Record<string, unknown>) => {
  const { runCommand } = await import('./commands/run.js');
  await runCommand(configFrom(opts), { simulate: opts.simulate === true });
});

addConfigOptions(
  program
    .command('collect')
    .description(
      'collectors only: exchange WebSockets -> Redis Streams; /metrics and /health on METRICS_PORT',
    ),
).action(async (opts: Record<string, unknown>) => {
  const { collectCommand } = await import('./commands/collect.js');
  await collectCommand(configFrom(opts));
});

addConfigOptions(program.command('serve').description('HTTP API server only (reads the store)')).action(
  async (opts: Record<string, unknown>) => {
    const { serveCommand } = await import('./commands/serve.js');
    await serveCommand(configFrom(opts));
  },
);

registerSimulateCommand(program);

addConfigOptions(
  program
    .command('bench')
    .description('end-to-end benchmark: simulator -> collector -> Redis, prints a report')
    .option('--rate <n>', 'offered trades per second in total', '10000')
    .option('--duration <s>', 'seconds of load', '10')
    .option('--markets <n>', 'number of markets the rate is spread over', '2')
    .option('--compressed', 'simulator and collector negotiate permessage-deflate (every message compressed)')
    .option(
      '--realtime',
      'run the collector, a private Redis and the simulator under SCHED_FIFO (chrt; needs CAP_SYS_NICE)',
    )
    .option('--json <file>', 'also write the report as JSON'),
).action(async (opts: Record<string, unknown>) => {
  const { benchCommand } = await import('./commands/bench.js');
  await benchCommand(configFrom(opts), opts);
});

addConfigOptions(
  program.command('archive').description('history writer: Redis Streams -> PostgreSQL (consumer group)'),
).action(async (opts: Record<string, unknown>) => {
  const { archiveCommand } = await import('./commands/archive.js');
  await archiveCommand(configFrom(opts));
});

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`alphapulse: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
