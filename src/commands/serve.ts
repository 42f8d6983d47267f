import type { Config } from '../core/config.js';

export async function serveCommand(
  _config: Config | Record<string, unknown>,
  _opts?: unknown,
): Promise<void> {
  throw new Error('serve: not available yet');
}
