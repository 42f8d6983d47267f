import { describe, expect, it } from 'vitest';
import { fromReports } from '../../src/api/health.js';
import type { CollectorReport } from '../../src/store/store.js';

const NOW = 1_800_000_000_000;
const report = (o: Partial<CollectorReport>): CollectorReport => ({
  exchange: 'coinbase',
  owner: 'host-1',
  connected: true,
  lastMessageAt: NOW - 500,
  staleLimitMs: 10_000,
  updatedAt: NOW - 1000,
  ...o,
});

describe('collector health from published reports', () => {
  it('is ok when every exchange has a live, connected, recently heard collector', () => {
    const r = fromReports([report({}), report({ exchange: 'kraken', lastMessageAt: NOW - 2000 })], NOW);
    expect(r.ok).toBe(true);
    expect(r.collectors).toEqual({
      coinbase: { connected: true, last_message_age_ms: 500 },
      kraken: { connected: true, last_message_age_ms: 2000 },
    });
  });

  it('takes the best of several shards and ignores reports of collectors that are gone', () => {
    const r = fromReports(
      [
        report({ owner: 'a', connected: false, lastMessageAt: NOW - 60_000 }),
        report({ owner: 'b', lastMessageAt: NOW - 100 }),
        report({ owner: 'dead', lastMessageAt: NOW - 10, updatedAt: NOW - 120_000 }),
      ],
      NOW,
    );
    expect(r.collectors.coinbase).toEqual({ connected: true, last_message_age_ms: 100 });
    expect(r.ok).toBe(true);
  });

  it('is degraded when a feed is silent beyond its limit, disconnected, or only reported by dead processes', () => {
    expect(fromReports([report({ lastMessageAt: NOW - 20_000 })], NOW).ok).toBe(false);
    expect(fromReports([report({ connected: false })], NOW).ok).toBe(false);
    const gone = fromReports([report({ updatedAt: NOW - 60_000 })], NOW);
    expect(gone.ok).toBe(false);
    expect(gone.collectors.coinbase).toEqual({ connected: false, last_message_age_ms: null });
    expect(fromReports([], NOW)).toEqual({ collectors: {}, ok: true });
  });
});
