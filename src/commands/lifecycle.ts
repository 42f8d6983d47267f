/** Process lifecycle shared by every long-running command. */

import type { Logger } from '../core/logger.js';

export interface Service {
  /** Stops reading, flushes what is buffered, closes. */
  stop(): Promise<void>;
}

/** Budget for a clean shutdown (CONTRACT.md section 2: exit within 5 s). */
export const SHUTDOWN_BUDGET_MS = 4500;

/**
 * Runs until SIGINT/SIGTERM, then stops the service within the shutdown budget and
 * exits 0 (1 when stopping failed or overran).
 */
export function stopOnSignal(service: Service, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown did not finish in time; exiting');
      log.flush?.();
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS);
    timer.unref();
    service.stop().then(
      () => {
        log.info('stopped cleanly');
        log.flush?.();
        process.exitCode = 0;
        // Let stdout drain, then leave even if a stray handle is still open.
        setTimeout(() => process.exit(0), 50).unref();
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        log.flush?.();
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
