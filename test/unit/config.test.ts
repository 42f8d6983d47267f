import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/core/config.js';

describe('configuration', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.API_HOST).toBe('127.0.0.1');
    expect(c.API_PORT).toBe(3001);
    expect(c.METRICS_PORT).toBe(9091);
    expect(c.EXCHANGES).toEqual(['coinbase', 'kraken']);
    expect(c.SYMBOLS).toEqual(['BTC-USD', 'ETH-USD']);
    expect(c.BUFFER_SIZE).toBe(1000);
    expect(c.BATCH_TIMEOUT_MS).toBe(0);
    expect(c.MAX_PENDING).toBe(500_000);
    expect(c.STREAM_MAXLEN).toBe(1_000_000);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.COINBASE_WS_URL).toBe('wss://ws-feed.exchange.coinbase.com');
    expect(c.KRAKEN_WS_URL).toBe('wss://ws.kraken.com/v2');
    expect(c.BOOK_DEPTH).toBe(25);
    expect(c.WS_COMPRESSION).toBe(true);
  });

  it('reads .env, lets the environment override it and flags override both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-config-'));
    writeFileSync(join(dir, '.env'), 'API_PORT=4000\nSYMBOLS=xbt/usd\nLOG_LEVEL=debug\n');
    const fromFile = loadConfig({ env: {}, cwd: dir });
    expect(fromFile.API_PORT).toBe(4000);
    expect(fromFile.SYMBOLS).toEqual(['BTC-USD']);
    const fromEnv = loadConfig({ env: { API_PORT: '5000' }, cwd: dir });
    expect(fromEnv.API_PORT).toBe(5000);
    expect(fromEnv.LOG_LEVEL).toBe('debug');
    const fromFlag = loadConfig({ env: { API_PORT: '5000' }, cwd: dir, flags: { API_PORT: '6000' } });
    expect(fromFlag.API_PORT).toBe(6000);
  });

  it.each([
    ['API_PORT', 'abc', /API_PORT="abc" must be an integer 0..65535/],
    ['API_PORT', '70000', /API_PORT/],
    [
      'EXCHANGES',
      'coinbase,binance',
      /EXCHANGES="coinbase,binance" must be a comma-separated list of coinbase, kraken/,
    ],
    ['SYMBOLS', 'BTC-USD,garbage!', /SYMBOLS=.*invalid symbol "garbage!"/],
    ['BOOK_DEPTH', '27', /BOOK_DEPTH="27" must be one of 0, 10, 25, 100, 500, 1000/],
    ['REDIS_URL', 'http://x', /REDIS_URL=\(hidden\) must be a redis:\/\/ or rediss:\/\/ URL/],
    ['WS_COMPRESSION', 'maybe', /WS_COMPRESSION="maybe" must be true or false/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" must be fatal, error/],
    ['BUFFER_SIZE', '0', /BUFFER_SIZE/],
    ['REDIS_CLUSTER_NODES', 'a:b', /REDIS_CLUSTER_NODES/],
    ['CORS_ORIGINS', 'not a url', /CORS_ORIGINS/],
    ['SHARD', '2/2', /SHARD="2\/2" must be i\/n/],
    ['CANDLE_RETENTION_DAYS', '-1', /CANDLE_RETENTION_DAYS="-1" must be an integer 0..36500/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ env: { [name]: value } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('parses lists and booleans', () => {
    const c = loadConfig({
      env: {
        EXCHANGES: 'Kraken',
        WS_COMPRESSION: 'false',
        CORS_ORIGINS: 'https://a.example, http://localhost:5173',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
        SHARD: '1/3',
      },
    });
    expect(c.EXCHANGES).toEqual(['kraken']);
    expect(c.WS_COMPRESSION).toBe(false);
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(c.REDIS_CLUSTER_NODES).toEqual(['127.0.0.1:7000', '127.0.0.1:7001']);
    expect(c.SHARD).toEqual({ index: 1, count: 3 });
  });

  it('masks secrets when describing the configuration', () => {
    const c = loadConfig({
      env: { REDIS_URL: 'redis://user:hunter22@localhost:6379/0', API_TOKEN: 'abcdefgh12345' },
    });
    const d = describeConfig(c);
    expect(JSON.stringify(d)).not.toContain('hunter22');
    expect(JSON.stringify(d)).not.toContain('abcdefgh12345');
  });
});
