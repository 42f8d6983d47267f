/** Flags of `alphapulse simulate` (kept apart from cli.ts so the simulator owns them). */

import type { Command } from 'commander';

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('local Coinbase and Kraken simulators speaking the real protocols (WebSocket + REST)')
    .option('--rate <n>', 'trades per second per symbol', '10')
    .option('--symbols <list>', 'symbols on every simulated exchange', 'BTC-USD,ETH-USD')
    .option('--exchanges <list>', 'which exchanges to simulate', 'coinbase,kraken')
    .option('--seed <n>', 'random seed (deterministic prices, sizes, sides and faults)', '1')
    .option('--duration <s>', 'stop making trades after this many seconds (default: never)')
    .option(
      '--linger <s>',
      'after --duration, keep serving this many seconds before exiting (default: until a signal)',
    )
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--coinbase-port <port>', 'Coinbase WebSocket + REST port (0 = any free port)', '9101')
    .option('--kraken-port <port>', 'Kraken WebSocket + REST port (0 = any free port)', '9102')
    .option('--book-rate <n>', 'order-book changes per second per symbol', '20')
    .option('--drop-every <n>', 'close each connection after every n messages sent')
    .option(
      '--gap-every <n>',
      'withhold a few trades from the WebSocket after every n trades (REST still serves them)',
    )
    .option('--bad-frame-every <n>', 'send a malformed frame after every n messages')
    .option(
      '--corrupt-checksum-every <n>',
      'corrupt every n-th order-book message (Kraken checksum / Coinbase crossed level)',
    )
    .option(
      '--rest-rps <n>',
      'REST requests per second before answering with the rate-limit error (retry/backoff tests)',
    )
    .option('--compression', 'accept permessage-deflate when the client offers it (every message compressed)')
    .option('--truth-file <path>', 'write the ground truth (trades made per exchange and symbol) as JSON')
    .option('--log-level <level>', 'log level', 'info')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const { simulateCommand } = await import('./simulate.js');
      // The one boolean flag, as text like the others.
      const { compression, ...rest } = opts;
      await simulateCommand({
        ...(rest as Record<string, string | undefined>),
        compression: compression === true ? 'true' : undefined,
      });
    });
}
