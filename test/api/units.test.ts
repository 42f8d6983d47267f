/** Pure pieces of the API: time parameters, exact spreads, error classification. */

import { describe, expect, it } from 'vitest';
import { ApiError, classifyError } from '../../src/api/errors.js';
import { parseRange, parseTimeParam, resolveSymbolText } from '../../src/api/input.js';
import { StoreUnavailableError } from '../../src/store/store.js';

describe('time parameters', () => {
  it('reads epoch seconds to the exact microsecond, rounding float noise', () => {
    expect(parseTimeParam('t', '1704067200')).toBe(1_704_067_200_000_000);
    expect(parseTimeParam('t', '1704067200.5')).toBe(1_704_067_200_500_000);
    expect(parseTimeParam('t', '1704067200.123456')).toBe(1_704_067_200_123_456);
    // What Python prints for some datetime.timestamp() floats: the nearest µs is meant.
    expect(parseTimeParam('t', '1704067200.1234559')).toBe(1_704_067_200_123_456);
    expect(parseTimeParam('t', '1704067200.12345649')).toBe(1_704_067_200_123_456);
    expect(parseTimeParam('t', '1704067200.9999996')).toBe(1_704_067_201_000_000);
    expect(parseTimeParam('t', '0')).toBe(0);
    // Every µs of a second survives a round trip through a float of seconds.
    for (let u = 0; u < 1_000_000; u += 7919) {
      const us = 1_704_067_200_000_000 + u;
      expect(parseTimeParam('t', String(us / 1e6))).toBe(us);
    }
  });

  it('reads ISO-8601 and refuses anything else', () => {
    expect(parseTimeParam('t', '2024-01-01T00:00:00Z')).toBe(1_704_067_200_000_000);
    expect(parseTimeParam('t', '2024-01-01T00:00:00.25Z')).toBe(1_704_067_200_250_000);
    expect(parseTimeParam('t', '2024-01-01T02:00:00+02:00')).toBe(1_704_067_200_000_000);
    expect(parseTimeParam('t', '2024-01-01')).toBe(1_704_067_200_000_000);
    for (const bad of [
      '',
      'abc',
      '-1',
      '1e9',
      '0x10',
      '2024-13-01T00:00:00Z',
      '2024-01-01T25:00:00Z',
      'NaN',
    ]) {
      expect(() => parseTimeParam('start_time', bad), bad).toThrow(ApiError);
    }
    // Far-future bounds are clamped to a safe integer rather than losing precision.
    expect(Number.isSafeInteger(parseTimeParam('t', '99999999999.9'))).toBe(true);
  });

  it('fills a missing bound and refuses inverted ranges', () => {
    expect(parseRange(undefined, undefined, 5)).toBeUndefined();
    expect(parseRange('1', undefined, 9_000_000)).toEqual({ startUs: 1_000_000, endUs: 9_000_000 });
    expect(parseRange(undefined, '2', 9)).toEqual({ startUs: 0, endUs: 2_000_000 });
    expect(() => parseRange('3', '2', 9)).toThrow(/start_time/);
  });
});

describe('symbols', () => {
  it('canonicalises every spelling and explains a bad one without echoing control characters', () => {
    for (const s of ['BTC-USD', 'btc-usd', 'BTC/USD', 'btc/usd', 'XBT/USD', 'XBT-USD']) {
      expect(resolveSymbolText(s)).toBe('BTC-USD');
    }
    try {
      resolveSymbolText('bad\u0000"symbol');
      expect.unreachable();
    } catch (e) {
      expect((e as ApiError).statusCode).toBe(400);
      expect((e as ApiError).message).not.toContain('\u0000');
      expect((e as ApiError).message).not.toContain('"symbol');
    }
  });
});

describe('error classification', () => {
  it('answers bugs with 500 internal and store failures with 503', () => {
    expect(classifyError(new TypeError('x is undefined'))).toEqual({
      status: 500,
      body: { error: 'internal', message: 'internal error' },
      bug: true,
    });
    expect(classifyError(new StoreUnavailableError('redis down'))).toMatchObject({
      status: 503,
      body: { error: 'storage_unavailable' },
      bug: false,
    });
    expect(classifyError(new ApiError(404, 'unknown_symbol', 'no'))).toMatchObject({
      status: 404,
      bug: false,
    });
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(classifyError(tooLarge)).toEqual({
      status: 413,
      body: { error: 'payload_too_large', message: 'Request body is too large' },
      bug: false,
    });
  });
});
