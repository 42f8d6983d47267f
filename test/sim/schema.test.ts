/**
 * Schema conformance: the schemas are learned programmatically from the real exchange
 * frames in shared/fixtures (keys and JSON kinds, recursively), and every simulator
 * message of the same type must match them exactly. Differences the live APIs introduced
 * after the recordings were made are listed explicitly, each with its source.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteNumberFields } from '../../src/exchanges/kraken/parse.js';
import { type RunningSimulators, startSimulators } from '../../src/sim/index.js';
import { fixtureLines } from '../helpers/fixtures.js';
import { TestClient, until } from './support/client.js';
import { type Allowances, learnSchema, schemaErrors } from './support/schema.js';

type Json = Record<string, unknown>;

const CB_RECORDING = 'coinbase/exchange_ws_2021-04-17_level2_ticker_matches_cryptofeed.jsonl';

/** Kraken sends prices/qtys as bare numbers whose text matters: compare them quoted, on both sides. */
function krakenJson(text: string): Json {
  return JSON.parse(quoteNumberFields(text)) as Json;
}

function byType(
  lines: readonly string[],
  key: 'type' | 'channel',
  parse = (l: string) => JSON.parse(l) as Json,
) {
  const out = new Map<string, Json[]>();
  for (const l of lines) {
    const o = parse(l);
    const t = String(o[key]);
    out.set(t, [...(out.get(t) ?? []), o]);
  }
  return out;
}

function expectConforms(
  real: readonly unknown[],
  simulated: readonly unknown[],
  allow: Allowances = {},
): void {
  expect(simulated.length).toBeGreaterThan(0);
  const schema = learnSchema(real);
  for (const m of simulated)
    expect(schemaErrors(schema, m, allow), JSON.stringify(m).slice(0, 300)).toEqual([]);
}

let sim: RunningSimulators;
let cb: TestClient;
let kr: TestClient;

beforeAll(async () => {
  sim = await startSimulators({
    exchanges: ['coinbase', 'kraken'],
    symbols: ['BTC-USD', 'ETH-USD'],
    ratePerSymbol: 200,
    bookRate: 50,
    seed: 11,
    ports: { coinbase: 0, kraken: 0 },
  });
  await until(() => sim.truth().kraken!['BTC-USD']!.count > 0, 'first trades');
  cb = await TestClient.open(sim.urls.coinbase!.ws);
  cb.send({
    type: 'subscribe',
    product_ids: ['BTC-USD', 'NOPE-USD'],
    channels: ['matches', 'level2_batch', 'heartbeat'],
  });
  kr = await TestClient.open(sim.urls.kraken!.ws);
  // The recorded book ack had no req_id, so this subscribe sends none either.
  kr.send({
    method: 'subscribe',
    params: { channel: 'book', symbol: ['BTC/USD'], depth: 10, snapshot: true },
  });
  kr.send({
    method: 'subscribe',
    params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: true },
    req_id: 5,
  });
  const count = (c: TestClient, pred: (m: Json) => boolean) => c.messages().filter(pred).length;
  await cb.waitFor(
    () =>
      count(cb, (m) => m.type === 'heartbeat') > 0 &&
      count(cb, (m) => m.type === 'match') > 5 &&
      count(cb, (m) => m.type === 'l2update') > 3,
    'Coinbase heartbeat, matches and l2updates',
  );
  await kr.waitFor(
    () =>
      count(kr, (m) => m.channel === 'heartbeat') > 0 &&
      count(kr, (m) => m.channel === 'trade' && m.type === 'update') > 0 &&
      count(kr, (m) => m.channel === 'book' && m.type === 'update') > 3,
    'Kraken heartbeat, trades and book updates',
  );
});

afterAll(async () => {
  cb?.close();
  kr?.close();
  await sim?.close();
});

describe('Coinbase WebSocket messages match the real frames', () => {
  const recorded = byType(fixtureLines(CB_RECORDING), 'type');
  const simulated = () =>
    byType(
      cb.frames.map((f) => f.text),
      'type',
    );

  it.each(['match', 'last_match', 'l2update'])('%s', (type) => {
    expectConforms(recorded.get(type)!, simulated().get(type) ?? []);
  });

  it('snapshot (2026 snapshots add "time", protocols/coinbase.md section 1)', () => {
    expectConforms(recorded.get('snapshot')!, simulated().get('snapshot') ?? [], {
      extra: { time: 'string' },
    });
  });

  it('subscriptions (2026 acks add "account_ids": null, protocols/coinbase.md section 5)', () => {
    expectConforms(recorded.get('subscriptions')!, simulated().get('subscriptions') ?? [], {
      extra: { 'channels[].account_ids': 'null' },
    });
  });

  it('heartbeat (the docs example)', () => {
    const docs = fixtureLines('coinbase/exchange_ws_docs_examples.jsonl').map((l) => JSON.parse(l) as Json);
    expectConforms(docs, simulated().get('heartbeat') ?? []);
  });

  it('error (Exchange errors carry "reason", protocols/coinbase.md section 1)', () => {
    const real = byType(fixtureLines('coinbase/advanced_ws_2026-09-07_captured_cutdown.jsonl'), 'type');
    expectConforms(real.get('error')!, simulated().get('error') ?? [], { extra: { reason: 'string' } });
  });
});

describe('Kraken WebSocket v2 messages match the real frames', () => {
  const minagbp = fixtureLines('kraken/v2_book_minagbp_depth25_2026-08-16_depthcharge.jsonl');
  const algo = fixtureLines('kraken/v2_book_algousd_2024-10-03_readme.jsonl');
  const docs = fixtureLines('kraken/v2_docs_examples.jsonl');
  const real = byType([...docs, ...algo, ...minagbp], 'channel', krakenJson);
  const simulated = () =>
    byType(
      kr.frames.map((f) => f.text),
      'channel',
      krakenJson,
    );
  const books = (all: Map<string, Json[]>, type: string) =>
    (all.get('book') ?? []).filter((m) => m.type === type);

  it('book snapshot and update', () => {
    expectConforms(books(real, 'snapshot'), books(simulated(), 'snapshot'));
    // The recorded updates only ever changed bids; snapshot and update share one shape
    // (protocols/kraken.md section 3), so the ask levels are learned from both.
    expectConforms([...books(real, 'update'), ...books(real, 'snapshot')], books(simulated(), 'update'));
  });

  it('trade snapshot and update (the docs example)', () => {
    expectConforms(real.get('trade')!, simulated().get('trade') ?? []);
    expect(
      simulated()
        .get('trade')!
        .some((m) => m.type === 'update'),
    ).toBe(true);
  });

  it('status, with connection_id a (big) number', () => {
    expectConforms(real.get('status')!, simulated().get('status') ?? []);
    const raw = kr.frames[0]!.text;
    expect(raw).toMatch(/"connection_id":\d{16,20}\}/);
  });

  it('heartbeat', () => {
    expectConforms(real.get('heartbeat')!, simulated().get('heartbeat') ?? []);
  });

  it('subscribe acks (one per symbol; a trade ack has no depth, and echoes req_id when sent)', () => {
    const acks = simulated().get('undefined') ?? [];
    const realAck = [krakenJson(minagbp[1]!)];
    expectConforms(
      realAck,
      acks.filter((m) => (m.result as Json).channel === 'book'),
    );
    expectConforms(
      realAck,
      acks.filter((m) => (m.result as Json).channel === 'trade'),
      { extra: { req_id: 'number' }, missing: ['result.depth'] },
    );
    // The docs' instrument ack shows req_id is a number echoed at the top level.
    expect(typeof krakenJson(docs[2]!).req_id).toBe('number');
  });
});

describe('REST answers match the real ones', () => {
  const get = async (url: string) => (await (await fetch(url)).json()) as unknown;

  it('Coinbase trades item', async () => {
    const real = JSON.parse(fixtureLines('coinbase/rest_examples.jsonl')[0]!) as unknown[];
    const ours = (await get(`${sim.urls.coinbase!.rest}/products/BTC-USD/trades?limit=5`)) as unknown[];
    expectConforms(real, ours);
  });

  it('Coinbase products item (fields removed in 2022 and added since, protocols/coinbase.md section 3)', async () => {
    const real = JSON.parse(
      fixtureLines('coinbase/exchange_rest_products_2021-04-17_cryptofeed.jsonl')[0]!,
    ) as unknown[];
    const ours = (await get(`${sim.urls.coinbase!.rest}/products`)) as unknown[];
    expectConforms(real, ours, {
      missing: ['base_min_size', 'base_max_size', 'max_market_funds'],
      extra: { fx_stablecoin: 'boolean', auction_mode: 'boolean' },
    });
    expectConforms(real, [await get(`${sim.urls.coinbase!.rest}/products/ETH-USD`)], {
      missing: ['base_min_size', 'base_max_size', 'max_market_funds'],
      extra: { fx_stablecoin: 'boolean', auction_mode: 'boolean' },
    });
  });

  it('Kraken Trades rows, Depth, AssetPairs and Time', async () => {
    const [trades, depth, time] = fixtureLines('kraken/rest_docs_examples.jsonl').map(
      (l) => JSON.parse(l) as Json,
    );
    const rest = sim.urls.kraken!.rest;
    const ourTrades = (await get(`${rest}/0/public/Trades?pair=XBTUSD&count=20`)) as Json;
    expectConforms([trades], [ourTrades]);
    // Rows are tuples: the kind of each position must match too.
    const kinds = (rows: unknown) => (rows as unknown[][]).map((r) => r.map((v) => typeof v).join(','));
    const realRow = kinds((trades!.result as Json).XXBTZUSD)[0];
    for (const k of kinds((ourTrades.result as Json).XXBTZUSD)) expect(k).toBe(realRow);
    const ourDepth = (await get(`${rest}/0/public/Depth?pair=XBTUSD&count=10`)) as Json;
    expectConforms([depth], [ourDepth]);
    const depthRow = kinds(((depth!.result as Json).XXBTZUSD as Json).asks)[0];
    for (const k of kinds(((ourDepth.result as Json).XXBTZUSD as Json).bids)) expect(k).toBe(depthRow);
    expectConforms([time], [await get(`${rest}/0/public/Time`)]);
    const pairs = JSON.parse(fixtureLines('kraken/rest_assetpairs_2021-04-17_cryptofeed.jsonl')[0]!) as Json;
    const ourPairs = (await get(`${rest}/0/public/AssetPairs`)) as Json;
    expectConforms([(pairs.result as Json).XXBTZUSD], [(ourPairs.result as Json).XXBTZUSD]);
    expectConforms([(pairs.result as Json).XETHZUSD], [(ourPairs.result as Json).XETHZUSD]);
  });
});
