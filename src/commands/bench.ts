import type { Config } from '../core/config.js';

export async function benchCommand(
  _config: Config | Record<string, unknown>,
  _opts?: unknown,
): Promise<void> {
  throw new Error('bench: not available yet');
}
