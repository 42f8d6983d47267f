import type { Config } from '../core/config.js';

export async function simulateCommand(
  _config: Config | Record<string, unknown>,
  _opts?: unknown,
): Promise<void> {
  throw new Error('simulate: not available yet');
}
