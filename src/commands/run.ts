import type { Config } from '../core/config.js';

export async function runCommand(_config: Config | Record<string, unknown>, _opts?: unknown): Promise<void> {
  throw new Error('run: not available yet');
}
