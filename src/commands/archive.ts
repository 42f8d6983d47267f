import type { Config } from '../core/config.js';

export async function archiveCommand(
  _config: Config | Record<string, unknown>,
  _opts?: unknown,
): Promise<void> {
  throw new Error('archive: not available yet');
}
