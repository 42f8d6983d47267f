/**
 * AlphaPulse live dashboard (served by the API at GET /, no build step, no framework).
 *
 * Data flow for the selected market:
 *  1. open GET /stream (WebSocket) and subscribe to its trades and book;
 *  2. once the subscription is acknowledged: candles from GET /ohlcv, the tape from
 *     GET /trades/{symbol}/recent, the book from GET /orderbook (first paint; the stream's
 *     own snapshot follows);
 *  3. live trades extend the tape and update the last candle; book updates are applied to
 *     a local top-N copy (dropped on book_reset);
 *  4. on a lost connection: reconnect with backoff and resume each stream right after the
 *     last stream id seen (`from`), so nothing is missed or repeated.
 * Collector health comes from GET /health, polled.
 *
 * With API_TOKEN set, open the page as /?token=<API_TOKEN>: the token is kept in this tab's
 * sessionStorage, removed from the address bar, and sent as a Bearer header (REST) or
 * ?token= (WebSocket).
 */

const INTERVALS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600 };
const EXCHANGES = ['coinbase', 'kraken'];
const BOOK_LEVELS = 14;
const TAPE_ROWS = 60;
const HEALTH_EVERY_MS = 5000;
const STALE_AFTER_MS = 10_000;
const BAR_LIMIT = 300;

// ---------------------------------------------------------------- setup

const params = new URLSearchParams(location.search);
const token = params.get('token') || sessionStorage.getItem('alphapulse.token') || '';
if (params.has('token')) {
  sessionStorage.setItem('alphapulse.token', params.get('token') || '');
  params.delete('token');
}

const $ = (id) => document.getElementById(id);

const state = {
  exchange: EXCHANGES.includes(params.get('exchange')) ? params.get('exchange') : 'coinbase',
  symbol: (params.get('symbol') || 'BTC-USD').toUpperCase(),
  interval: INTERVALS[params.get('interval')] ? params.get('interval') : '1m',
  /** Bumped on every market/interval switch: answers for an older one are ignored. */
  generation: 0,
  /** Last stream id seen per channel of the current market (resume points). */
  lastIds: { trades: null, book: null },
  bars: [],
  tape: [],
  lastTradeId: -1,
  /** Trades that arrived before the REST history (applied after it). */
  pending: null,
  book: { bids: new Map(), asks: new Map(), valid: false, sequence: null, timestamp: null },
  health: null,
  connected: false,
  reconnects: 0,
  received: 0,
  priceDecimals: 2,
};

function syncUrl() {
  const p = new URLSearchParams({ exchange: state.exchange, symbol: state.symbol, interval: state.interval });
  history.replaceState(null, '', `${location.pathname}?${p}`);
}
syncUrl();

// ---------------------------------------------------------------- helpers

function api(path) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return fetch(path, { headers, cache: 'no-store' }).then(async (res) => {
    const body = await res.json().catch(() => ({}));
    if (res.status === 401) showBanner('Unauthorized: open this page as /?token=<API_TOKEN>.');
    if (!res.ok) throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { status: res.status });
    return body;
  });
}

function showBanner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function decimalsOf(n) {
  const s = String(n);
  const i = s.indexOf('.');
  if (s.includes('e')) return 8;
  return i < 0 ? 0 : s.length - i - 1;
}

function notePrice(p) {
  const d = Math.min(8, decimalsOf(p));
  if (d > state.priceDecimals) state.priceDecimals = d;
}

const fmtPrice = (p) =>
  p.toLocaleString('en-US', {
    minimumFractionDigits: state.priceDecimals,
    maximumFractionDigits: state.priceDecimals,
  });

function fmtSize(s) {
  if (s === 0) return '0';
  if (s >= 1000) return s.toLocaleString('en-US', { maximumFractionDigits: 1 });
  if (s >= 1) return s.toFixed(4);
  if (s >= 0.0001) return s.toFixed(6);
  return s.toPrecision(3);
}

function fmtVolume(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(2)}K`;
  return v.toFixed(v >= 10 ? 2 : 4);
}

function fmtTime(tsSeconds) {
  const d = new Date(tsSeconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

function fmtSpan(seconds) {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function fmtAge(ms) {
  if (ms === null || ms === undefined) return 'no data';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

// ---------------------------------------------------------------- chart

let chart = null;
let candleSeries = null;
let volumeSeries = null;

function setupChart() {
  const LC = window.LightweightCharts;
  chart = LC.createChart($('chart'), {
    autoSize: true,
    layout: {
      background: { type: 'solid', color: '#10141d' },
      textColor: '#7d8699',
      fontFamily: 'Inter, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif',
      fontSize: 11,
      // The logo injects an inline <style> (blocked by the page's CSP); the page credits
      // TradingView in its footer instead, as the library's licence asks.
      attributionLogo: false,
    },
    grid: {
      vertLines: { color: 'rgba(255,255,255,0.035)' },
      horzLines: { color: 'rgba(255,255,255,0.035)' },
    },
    crosshair: { mode: LC.CrosshairMode.Normal },
    rightPriceScale: { borderColor: '#1e2533' },
    timeScale: {
      borderColor: '#1e2533',
      timeVisible: true,
      secondsVisible: false,
      rightOffset: 6,
      barSpacing: 10,
    },
  });
  candleSeries = chart.addSeries(LC.CandlestickSeries, {
    upColor: '#2ebd85',
    downColor: '#f6465d',
    borderVisible: false,
    wickUpColor: '#2ebd85',
    wickDownColor: '#f6465d',
    // A quiet market would stretch a one-tick bar over the whole pane: show at least 20 ticks.
    autoscaleInfoProvider: (original) => {
      const info = original();
      if (!info?.priceRange) return info;
      const { minValue, maxValue } = info.priceRange;
      const mid = (minValue + maxValue) / 2;
      const least = 20 * 10 ** -state.priceDecimals;
      if (maxValue - minValue >= least) return info;
      return { ...info, priceRange: { minValue: mid - least / 2, maxValue: mid + least / 2 } };
    },
  });
  candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.26 } });
  volumeSeries = chart.addSeries(LC.HistogramSeries, {
    priceFormat: { type: 'volume' },
    priceScaleId: 'volume',
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  chart.subscribeCrosshairMove((p) => {
    hoverTime = p?.time;
    renderLegend();
  });
}

let hoverTime;

const volumeColor = (b) => (b.close >= b.open ? 'rgba(46,189,133,0.45)' : 'rgba(246,70,93,0.45)');

function setBars(bars) {
  state.bars = bars;
  for (const b of bars) notePrice(b.close);
  applyPriceFormat();
  candleSeries.setData(
    bars.map((b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close })),
  );
  volumeSeries.setData(bars.map((b) => ({ time: b.time, value: b.volume, color: volumeColor(b) })));
  chart.timeScale().scrollToRealTime();
  renderLegend();
}

function applyPriceFormat() {
  const d = state.priceDecimals;
  candleSeries.applyOptions({ priceFormat: { type: 'price', precision: d, minMove: 10 ** -d } });
}

/** A live trade into the last candle (or a new one). */
function tradeIntoBars(t) {
  const step = INTERVALS[state.interval];
  const time = Math.floor(t.timestamp / step) * step;
  const last = state.bars[state.bars.length - 1];
  let bar;
  if (last && last.time === time) {
    bar = last;
    bar.high = Math.max(bar.high, t.price);
    bar.low = Math.min(bar.low, t.price);
    bar.close = t.price;
    bar.volume += t.volume;
    bar.trades += 1;
  } else if (!last || time > last.time) {
    bar = { time, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.volume, trades: 1 };
    state.bars.push(bar);
  } else return; // an older bucket (late trade): the next history load has it
  candleSeries.update({ time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
  volumeSeries.update({ time: bar.time, value: bar.volume, color: volumeColor(bar) });
}

function renderLegend() {
  const bar =
    (hoverTime !== undefined && state.bars.find((b) => b.time === hoverTime)) ||
    state.bars[state.bars.length - 1];
  const legend = $('legend');
  legend.textContent = '';
  if (!bar) return;
  const dir = bar.close >= bar.open ? 'up' : 'down';
  const parts = [
    ['O', fmtPrice(bar.open)],
    ['H', fmtPrice(bar.high)],
    ['L', fmtPrice(bar.low)],
    ['C', fmtPrice(bar.close)],
    ['V', fmtVolume(bar.volume)],
  ];
  for (const [k, v] of parts) {
    legend.append(`${k} `);
    legend.append(el('b', k === 'C' ? dir : '', v));
    legend.append('  ');
  }
}

// ---------------------------------------------------------------- tape

function addTrade(t, fresh) {
  if (Number(t.trade_id) <= state.lastTradeId) return false;
  state.lastTradeId = Number(t.trade_id);
  notePrice(t.price);
  state.tape.unshift(t);
  if (state.tape.length > TAPE_ROWS) state.tape.length = TAPE_ROWS;
  const row = el('div', `row ${t.side}${fresh ? ' fresh' : ''}`);
  row.dataset.tradeId = t.trade_id;
  row.dataset.symbol = t.symbol;
  row.dataset.exchange = t.exchange;
  row.dataset.side = t.side;
  row.append(
    el('span', 'time', fmtTime(t.timestamp)),
    el('span', 'price', fmtPrice(t.price)),
    el('span', 'size', fmtSize(t.volume)),
  );
  const tape = $('trades');
  tape.querySelector('.empty')?.remove();
  tape.prepend(row);
  while (tape.childElementCount > TAPE_ROWS) tape.lastElementChild.remove();
  return true;
}

function renderTicker() {
  const last = state.tape[0];
  const price = $('last-price');
  $('ticker-symbol').textContent = `${state.symbol}`;
  if (!last) {
    price.textContent = '—';
    $('ticker-sub').textContent = 'waiting for trades';
    return;
  }
  const prev = state.tape[1];
  price.textContent = fmtPrice(last.price);
  price.classList.toggle('up', !prev || last.price >= prev.price);
  price.classList.toggle('down', !!prev && last.price < prev.price);
  const sub = $('ticker-sub');
  sub.textContent = '';
  const first = state.bars[0];
  if (first) {
    const chg = ((last.price - first.open) / first.open) * 100;
    const span = last.timestamp - first.time;
    const text = chg.toFixed(2) === '-0.00' ? '0.00' : chg.toFixed(2);
    const dir = text === '0.00' ? '' : chg > 0 ? 'up' : 'down';
    sub.append(el('span', dir, `${dir === 'up' ? '+' : ''}${text}%`));
    sub.append(` in ${fmtSpan(span)} · ${state.exchange}`);
  } else sub.textContent = state.exchange;
}

// ---------------------------------------------------------------- book

function resetBook() {
  state.book = { bids: new Map(), asks: new Map(), valid: false, sequence: null, timestamp: null };
}

function bookSnapshot(m) {
  resetBook();
  for (const l of m.bids) state.book.bids.set(l.price, l.size);
  for (const l of m.asks) state.book.asks.set(l.price, l.size);
  state.book.valid = true;
  state.book.sequence = m.sequence;
  state.book.timestamp = m.timestamp;
}

function bookUpdate(m) {
  if (!state.book.valid) return;
  for (const [side, levels] of [
    ['bids', m.bids],
    ['asks', m.asks],
  ]) {
    const book = state.book[side];
    for (const l of levels) {
      if (l.size === 0) book.delete(l.price);
      else book.set(l.price, l.size);
    }
  }
  state.book.sequence = m.sequence;
  state.book.timestamp = m.timestamp;
}

function sideLevels(side) {
  const entries = [...state.book[side].entries()];
  entries.sort((a, b) => (side === 'bids' ? b[0] - a[0] : a[0] - b[0]));
  return entries.slice(0, BOOK_LEVELS);
}

const ladderRows = { bids: [], asks: [] };

function buildLadder(side) {
  const host = $(side);
  host.textContent = '';
  ladderRows[side] = [];
  for (let i = 0; i < BOOK_LEVELS; i++) {
    const row = el('div', 'row');
    const bar = el('div', 'bar');
    const price = el('span', 'price');
    const size = el('span', 'size');
    const total = el('span', 'total');
    row.append(bar, price, size, total);
    host.append(row);
    ladderRows[side].push({ row, bar, price, size, total });
  }
}

function renderBook() {
  const bids = sideLevels('bids');
  const asks = sideLevels('asks');
  const maxSize = Math.max(1e-12, ...bids.map((l) => l[1]), ...asks.map((l) => l[1]));
  const paint = (side, levels) => {
    const rows = ladderRows[side];
    // Asks: best at the bottom, next to the spread.
    let total = 0;
    const totals = levels.map((l) => {
      total += l[1];
      return total;
    });
    for (let i = 0; i < BOOK_LEVELS; i++) {
      const idx = side === 'asks' ? BOOK_LEVELS - 1 - i : i;
      const r = rows[i];
      const l = levels[idx];
      r.row.dataset.price = l ? String(l[0]) : '';
      r.row.classList.toggle('level', !!l);
      r.price.textContent = l ? fmtPrice(l[0]) : '';
      r.size.textContent = l ? fmtSize(l[1]) : '';
      r.total.textContent = l ? fmtSize(totals[idx]) : '';
      r.bar.style.width = l ? `${Math.max(1, (l[1] / maxSize) * 100).toFixed(1)}%` : '0';
    }
  };
  paint('bids', bids);
  paint('asks', asks);
  const bestBid = bids[0]?.[0];
  const bestAsk = asks[0]?.[0];
  if (bestBid !== undefined && bestAsk !== undefined) {
    const mid = (bestBid + bestAsk) / 2;
    const spread = bestAsk - bestBid;
    $('mid').textContent = fmtPrice(mid);
    $('spread-text').textContent = `spread ${fmtPrice(spread)} · ${((spread / mid) * 10_000).toFixed(2)} bps`;
  } else {
    $('mid').textContent = '—';
    $('spread-text').textContent = state.book.valid ? 'empty book' : 'no book yet';
  }
  $('book-meta').textContent = state.book.valid
    ? `seq ${state.book.sequence ?? '—'}`
    : state.book.sequence === 'reset'
      ? 'resyncing…'
      : '';
}

// ---------------------------------------------------------------- health

async function pollHealth() {
  try {
    const h = await fetch('/health', { cache: 'no-store' }).then((r) => r.json());
    state.health = h;
  } catch {
    state.health = null;
  }
  renderHealth();
}

function renderHealth() {
  const host = $('health');
  host.textContent = '';
  const h = state.health;
  if (!h) {
    const c = el('div', 'chip down');
    c.append(el('span', 'dot'), el('span', 'name', 'API unreachable'));
    host.append(c);
    return;
  }
  const collectors = h.components?.collectors ?? {};
  if (Object.keys(collectors).length === 0) {
    const chip = el('div', 'chip');
    chip.title = 'this API process runs no collector (alphapulse serve); they run elsewhere';
    chip.append(el('span', 'dot'), el('span', 'age', 'no collector in this process'));
    host.append(chip);
  }
  for (const [name, c] of Object.entries(collectors)) {
    const cls = !c.connected
      ? 'down'
      : c.last_message_age_ms === null || c.last_message_age_ms > STALE_AFTER_MS
        ? 'stale'
        : 'ok';
    const chip = el('div', `chip ${cls}`);
    chip.dataset.exchange = name;
    chip.dataset.connected = String(c.connected);
    chip.title = c.connected ? 'collector connected' : 'collector disconnected';
    chip.append(
      el('span', 'dot'),
      el('span', 'name', name),
      el('span', 'age', c.connected ? fmtAge(c.last_message_age_ms) : 'down'),
    );
    host.append(chip);
  }
  const store = h.components?.store ?? 'store';
  $('status-store').textContent = `store ${store} · ${h.components?.redis ?? '?'} · API ${h.status}`;
}

// ---------------------------------------------------------------- pickers

async function loadSymbols() {
  const sel = $('symbol');
  let symbols = [];
  try {
    symbols = (await api(`/symbols/${state.exchange}`)).symbols;
  } catch (e) {
    showBanner(`Could not list symbols: ${e.message}`);
  }
  if (!symbols.includes(state.symbol) && symbols.length > 0) {
    state.symbol = symbols.includes('BTC-USD') ? 'BTC-USD' : symbols[0];
  }
  sel.textContent = '';
  for (const s of symbols) {
    const o = el('option', '', s);
    o.value = s;
    sel.append(o);
  }
  sel.value = state.symbol;
}

function setupPickers() {
  const ex = $('exchange');
  for (const name of EXCHANGES) {
    const o = el('option', '', name[0].toUpperCase() + name.slice(1));
    o.value = name;
    ex.append(o);
  }
  ex.value = state.exchange;
  ex.addEventListener('change', async () => {
    state.exchange = ex.value;
    await loadSymbols();
    switchMarket();
  });
  $('symbol').addEventListener('change', () => {
    state.symbol = $('symbol').value;
    switchMarket();
  });
  for (const b of document.querySelectorAll('#intervals button')) {
    b.classList.toggle('active', b.dataset.interval === state.interval);
    b.addEventListener('click', () => {
      if (b.dataset.interval === state.interval) return;
      state.interval = b.dataset.interval;
      for (const x of document.querySelectorAll('#intervals button')) x.classList.toggle('active', x === b);
      syncUrl();
      loadBars(state.generation);
    });
  }
}

// ---------------------------------------------------------------- market data

async function loadBars(gen) {
  const interval = state.interval;
  try {
    const r = await api(
      `/ohlcv/${encodeURIComponent(state.symbol)}?exchange=${state.exchange}&interval=${interval}&limit=${BAR_LIMIT}`,
    );
    // A later switch of market or interval wins.
    if (gen !== state.generation || interval !== state.interval) return;
    setBars(
      r.data.map((b) => ({
        time: b.timestamp,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
        trades: b.trades,
      })),
    );
  } catch (e) {
    if (gen === state.generation) showBanner(`Could not load candles: ${e.message}`);
  }
}

/** History for a fresh subscription: candles first, then trades (see the header comment). */
async function loadHistory(gen) {
  await loadBars(gen);
  try {
    const [trades, book] = await Promise.all([
      api(`/trades/${encodeURIComponent(state.symbol)}/recent?exchange=${state.exchange}&limit=${TAPE_ROWS}`),
      api(`/orderbook/${encodeURIComponent(state.symbol)}?exchange=${state.exchange}&depth=50`).catch(
        () => null,
      ),
    ]);
    if (gen !== state.generation) return;
    for (const t of trades.data) addTrade(t, false);
    if (book && !state.book.valid) bookSnapshot({ ...book, kind: 'snapshot' });
  } catch (e) {
    if (gen === state.generation) showBanner(`Could not load trades: ${e.message}`);
  }
  if (gen !== state.generation) return;
  // Trades the stream delivered meanwhile: the tape skips those already listed.
  const held = state.pending ?? [];
  state.pending = null;
  for (const t of held) onTrade(t);
  scheduleRender();
}

function clearMarket() {
  state.bars = [];
  state.tape = [];
  state.lastTradeId = -1;
  state.pending = [];
  state.priceDecimals = 2;
  state.lastIds = { trades: null, book: null };
  resetBook();
  const tape = $('trades');
  tape.textContent = '';
  tape.append(el('div', 'empty', 'waiting for trades…'));
  candleSeries?.setData([]);
  volumeSeries?.setData([]);
  $('chart-title').textContent = `${state.symbol} · ${state.exchange}`;
  document.title = `${state.symbol} · AlphaPulse`;
}

function switchMarket() {
  state.generation++;
  syncUrl();
  clearMarket();
  scheduleRender();
  stream.resubscribe();
}

function onTrade(t) {
  if (t.symbol !== state.symbol || t.exchange !== state.exchange) return;
  if (state.pending) {
    state.pending.push(t);
    return;
  }
  const fresh = Number(t.trade_id) > state.lastTradeId;
  if (fresh) {
    tradeIntoBars(t);
    addTrade(t, true);
  }
}

function onBook(m) {
  if (m.symbol !== state.symbol || m.exchange !== state.exchange) return;
  if (m.kind === 'snapshot') bookSnapshot(m);
  else if (m.kind === 'book_reset') {
    resetBook();
    state.book.sequence = 'reset';
  } else bookUpdate(m);
}

// ---------------------------------------------------------------- stream

class Stream {
  constructor() {
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.subscribedGen = -1;
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/stream${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  }

  connect() {
    clearTimeout(this.timer);
    setConn('connecting', this.attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempt = 0;
      state.connected = true;
      setConn('live', 'live');
      this.subscribe();
    });
    ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      state.connected = false;
      this.ws = null;
      this.retry();
    });
  }

  retry() {
    this.attempt++;
    state.reconnects++;
    const delay = Math.min(10_000, 500 * 2 ** (this.attempt - 1)) * (0.6 + Math.random() * 0.4);
    setConn('reconnecting', `reconnecting in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Subscribes to the current market; resumes each stream after the last id seen. */
  subscribe() {
    const market = `${state.exchange}:${state.symbol}`;
    this.resuming = !!state.lastIds.trades && state.lastTradeId >= 0;
    if (!this.resuming) {
      // Nothing to resume from: start over with fresh history once subscribed.
      this.subscribedGen = -1;
      if (state.lastTradeId >= 0 || state.bars.length > 0) clearMarket();
      state.pending ??= [];
    }
    const from = {};
    if (this.resuming) from[`trades:${market}`] = state.lastIds.trades;
    if (state.lastIds.book && state.book.valid) from[`book:${market}`] = state.lastIds.book;
    const msg = {
      op: 'subscribe',
      channels: ['trades', 'book'],
      symbols: [state.symbol],
      exchanges: [state.exchange],
    };
    if (Object.keys(from).length > 0) msg.from = from;
    this.send(msg);
  }

  resubscribe() {
    this.send({ op: 'unsubscribe' });
    this.subscribe();
  }

  /** Test hook: drop the connection as a network failure would. */
  drop() {
    this.ws?.close(4000, 'dropped by the page');
  }

  onMessage(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    state.received++;
    switch (m.type) {
      case 'trade':
        if (m.symbol === state.symbol && m.exchange === state.exchange) state.lastIds.trades = m.id;
        onTrade(m);
        scheduleRender();
        break;
      case 'book':
        if (m.symbol === state.symbol && m.exchange === state.exchange) state.lastIds.book = m.id;
        onBook(m);
        scheduleRender();
        break;
      case 'subscribed': {
        const mine = m.streams.some((s) => s.symbol === state.symbol && s.exchange === state.exchange);
        if (mine && this.subscribedGen !== state.generation) {
          this.subscribedGen = state.generation;
          if (!this.resuming) loadHistory(state.generation);
        }
        showBanner('');
        break;
      }
      case 'error':
        showBanner(`Stream: ${m.message}`);
        break;
      default:
        break;
    }
  }
}

function setConn(kind, text) {
  $('conn').dataset.state = kind;
  $('conn-text').textContent = text;
  $('status-stream').textContent =
    `stream ${text}${state.reconnects ? ` · ${state.reconnects} reconnects` : ''}`;
}

const stream = new Stream();

// ---------------------------------------------------------------- rendering

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderBook();
    renderTicker();
    renderLegend();
    $('tape-meta').textContent = state.tape.length ? `${state.symbol}` : '';
  });
}

let lastCount = 0;
setInterval(() => {
  const n = state.received - lastCount;
  lastCount = state.received;
  $('status-rate').textContent = `${n} msg/s`;
}, 1000);

// ---------------------------------------------------------------- test and debugging hook

window.alphapulse = {
  /** A plain copy of what the page shows (browser tests read it). */
  snapshot() {
    return {
      exchange: state.exchange,
      symbol: state.symbol,
      interval: state.interval,
      connected: state.connected,
      reconnects: state.reconnects,
      bars: state.bars.length,
      lastBar: state.bars[state.bars.length - 1] ?? null,
      trades: state.tape.map((t) => ({ ...t })),
      bids: sideLevels('bids'),
      asks: sideLevels('asks'),
      bookValid: state.book.valid,
      lastIds: { ...state.lastIds },
      health: state.health,
    };
  },
  dropConnection: () => stream.drop(),
};

// ---------------------------------------------------------------- start

function whenChartsLoaded() {
  if (window.LightweightCharts) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('load', resolve, { once: true }));
}

async function main() {
  buildLadder('asks');
  buildLadder('bids');
  setupPickers();
  await whenChartsLoaded();
  setupChart();
  await loadSymbols();
  clearMarket();
  renderBook();
  syncUrl();
  stream.connect();
  pollHealth();
  setInterval(pollHealth, HEALTH_EVERY_MS);
}

main();
