/** Real Redis for tests: REDIS_URL (default the local server), one database per test file. */

import { createClient } from 'redis';

export const REDIS_BASE_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A URL for database `db`, emptied first. */
export async function freshRedisUrl(db: number): Promise<string> {
  const url = `${REDIS_BASE_URL}/${db}`;
  const c = createClient({ url });
  await c.connect();
  await c.flushDb();
  await c.close();
  return url;
}

export async function redisClient(url: string) {
  const c = createClient({ url });
  // Tests stop and restart servers: a dropped connection must not become an uncaught error.
  c.on('error', () => {});
  await c.connect();
  return c;
}
