/** Reads the shared real-exchange fixtures in place (never copied into the project). */

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** `../shared/fixtures` next to the project checkout, or FIXTURES_DIR. */
export const FIXTURES_DIR = process.env.FIXTURES_DIR ?? resolve(here, '../../../shared/fixtures');

/** The raw lines of a fixture file (exact frame text). */
export function fixtureLines(relative: string): string[] {
  return readFileSync(join(FIXTURES_DIR, relative), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}
