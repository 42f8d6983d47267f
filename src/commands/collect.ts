import type { Config } from '../core/config.js';

export async function collectCommand(
  _config: Config | Record<string, unknown>,
  _opts?: unknown,
): Promise<void> {
  throw new Error('collect: not available yet');
}
