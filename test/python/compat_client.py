#!/usr/bin/python3
"""
Compatibility check of the HTTP API against the AlphaPulse backend's Python client.

It calls the API the way `RustMarketDataRepository` does (aiohttp, `params=` with
`datetime.timestamp()` floats, the same paths and the fields it reads) and checks every
field it reads, types and values, against what the test wrote into the store.

usage: compat_client.py <base-url> <expectations.json>
Exit 0 when everything matches; 1 with the first mismatch on stderr.
"""

import asyncio
import json
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Optional

import aiohttp

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
EPOCH_NAIVE = datetime(1970, 1, 1)


class Mismatch(Exception):
    pass


CHECKS = 0


def check(cond: bool, what: str) -> None:
    global CHECKS
    CHECKS += 1
    if not cond:
        raise Mismatch(what)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def aware(us: int) -> datetime:
    return EPOCH_UTC + timedelta(microseconds=us)


def naive_utc(us: int) -> datetime:
    # A naive datetime: .timestamp() treats it as local time (the test runs with TZ=UTC).
    return EPOCH_NAIVE + timedelta(microseconds=us)


class Client:
    """The request side of RustMarketDataRepository, as the backend sends it."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip('/')
        self.session: Optional[aiohttp.ClientSession] = None

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self.session

    async def request(self, endpoint: str, params: Optional[Dict] = None) -> Dict[str, Any]:
        session = await self._session()
        async with session.request('GET', f'{self.base}{endpoint}', params=params) as response:
            if response.status == 200:
                return await response.json()
            text = await response.text()
            raise RuntimeError(f'Rust API error {response.status}: {text}')

    async def get_trades(self, symbol, exchange, start_time=None, end_time=None, limit=None):
        api_symbol = symbol.replace('/', '-')
        params = {'exchange': exchange}
        if start_time:
            params['start_time'] = start_time.timestamp()
        if end_time:
            params['end_time'] = end_time.timestamp()
        if limit:
            params['limit'] = limit
        return await self.request(f'/trades/{api_symbol}', params)

    async def get_ohlcv(self, symbol, exchange, interval='1m', start_time=None, end_time=None):
        api_symbol = symbol.replace('/', '-')
        params = {'exchange': exchange, 'interval': interval}
        if start_time:
            params['start_time'] = start_time.timestamp()
        if end_time:
            params['end_time'] = end_time.timestamp()
        return await self.request(f'/ohlcv/{api_symbol}', params)

    async def get_symbols(self, exchange):
        return await self.request(f'/symbols/{exchange}')

    async def get_data_summary(self):
        return await self.request('/summary')

    async def health_check(self):
        return await self.request('/health')

    async def close(self):
        if self.session and not self.session.closed:
            await self.session.close()


def check_trades(response: Dict[str, Any], expected: list, what: str) -> None:
    data = response.get('data', [])
    check(isinstance(data, list), f'{what}: data is a list')
    check(len(data) == len(expected), f'{what}: {len(data)} trades, expected {len(expected)}')
    for got, want in zip(data, expected):
        # The fields the repository reads: timestamp, price, volume, side, trade_id.
        check(is_number(got['timestamp']), f'{what}: timestamp is a number')
        check(
            got['timestamp'] == want['ts_us'] / 1e6,
            f'{what}: timestamp {got["timestamp"]!r} != {want["ts_us"] / 1e6!r}',
        )
        check(
            round(got['timestamp'] * 1e6) == want['ts_us'],
            f'{what}: timestamp keeps the microsecond',
        )
        check(is_number(got['price']), f'{what}: price is a number')
        check(got['price'] == float(Decimal(want['price'])), f'{what}: price {got["price"]} != {want["price"]}')
        check(is_number(got['volume']), f'{what}: volume is a number')
        check(got['volume'] == float(Decimal(want['size'])), f'{what}: volume {got["volume"]} != {want["size"]}')
        check(got.get('side') in ('buy', 'sell'), f'{what}: side is buy or sell')
        check(got.get('side') == want['side'], f'{what}: side')
        check(isinstance(got.get('trade_id'), str), f'{what}: trade_id is a string')
        check(got.get('trade_id') == want['trade_id'], f'{what}: trade_id {got.get("trade_id")} != {want["trade_id"]}')
    times = [t['timestamp'] for t in data]
    check(times == sorted(times), f'{what}: oldest first')


def bars_from_trades(trades: list, interval_s: int, start_s: float, end_s: float) -> list:
    """Independent roll-up with exact decimals: bars whose start is in [start, end]."""
    bars: Dict[int, Dict[str, Any]] = {}
    for t in trades:
        start = (t['ts_us'] // (interval_s * 1_000_000)) * interval_s
        price = Decimal(t['price'])
        size = Decimal(t['size'])
        b = bars.get(start)
        if b is None:
            bars[start] = {'open': price, 'high': price, 'low': price, 'close': price, 'volume': size, 'n': 1}
        else:
            b['high'] = max(b['high'], price)
            b['low'] = min(b['low'], price)
            b['close'] = price
            b['volume'] += size
            b['n'] += 1
    return [(s, bars[s]) for s in sorted(bars) if start_s <= s <= end_s]


async def main(base: str, expectations_path: str) -> None:
    with open(expectations_path) as f:
        exp = json.load(f)
    client = Client(base)
    try:
        # ---- get_trades: aware datetimes, limit ----
        t = exp['trades']
        r = await client.get_trades(
            t['symbol'], t['exchange'], aware(t['start_us']), aware(t['end_us']), t['limit']
        )
        check_trades(r, t['expected'], 'get_trades(aware)')
        check(r.get('symbol') == 'BTC-USD' and r.get('exchange') == t['exchange'], 'get_trades: symbol/exchange')
        check(isinstance(r.get('count'), int) and r['count'] == len(t['expected']), 'get_trades: count')
        # BTC/USD spelling as the backend passes it, naive datetimes (local = UTC here).
        r = await client.get_trades(
            'BTC/USD', t['exchange'], naive_utc(t['start_us']), naive_utc(t['end_us']), t['limit']
        )
        check_trades(r, t['expected'], 'get_trades(naive)')
        # No range, no limit: the latest 100.
        r = await client.get_trades(t['symbol'], t['exchange'])
        check_trades(r, t['latest'], 'get_trades(latest)')
        # Microsecond-exact bounds: a range from one trade's time to the same time.
        one = t['expected'][3]
        r = await client.get_trades(t['symbol'], t['exchange'], aware(one['ts_us']), aware(one['ts_us']))
        check_trades(r, [x for x in t['expected'] if x['ts_us'] == one['ts_us']], 'get_trades(one instant)')

        # ---- get_ohlcv ----
        o = exp['ohlcv']
        for interval, interval_s in (('1m', 60), ('5m', 300), ('1h', 3600)):
            r = await client.get_ohlcv(o['symbol'], o['exchange'], interval, aware(o['start_us']), aware(o['end_us']))
            want = bars_from_trades(o['trades'], interval_s, o['start_us'] / 1e6, o['end_us'] / 1e6)
            data = r.get('data', [])
            what = f'get_ohlcv({interval})'
            check(len(want) > 0, f'{what}: the test range holds bars')
            check(len(want) <= 100, f'{what}: the test range fits the default limit')
            check(len(data) == len(want), f'{what}: {len(data)} bars, expected {len(want)}')
            check(r.get('interval') == interval, f'{what}: interval echoed')
            for got, (start, b) in zip(data, want):
                for field in ('timestamp', 'open', 'high', 'low', 'close', 'volume'):
                    check(is_number(got[field]), f'{what}: {field} is a number')
                check(got['timestamp'] == start, f'{what}: timestamp {got["timestamp"]} != {start}')
                for field in ('open', 'high', 'low', 'close', 'volume'):
                    check(got[field] == float(b[field]), f'{what}: {field} {got[field]} != {b[field]} at {start}')
                check(got['trades'] == b['n'], f'{what}: trades at {start}')
                check(got['complete'] is True, f'{what}: complete')

        # ---- get_symbols ----
        for exchange, symbols in exp['symbols'].items():
            r = await client.get_symbols(exchange)
            got = r.get('symbols', [])
            check(isinstance(got, list) and all(isinstance(s, str) for s in got), 'get_symbols: list of str')
            check(got == symbols, f'get_symbols({exchange}): {got} != {symbols}')

        # ---- get_data_summary ----
        s = exp['summary']
        r = await client.get_data_summary()
        for field in ('total_symbols', 'total_exchanges', 'total_records'):
            check(isinstance(r[field], int) and not isinstance(r[field], bool), f'summary: {field} is an int')
            check(r[field] == s[field], f'summary: {field} {r[field]} != {s[field]}')
        dr = r['date_range']
        check(isinstance(dr, dict), 'summary: date_range is an object')
        check(is_number(dr['start']) and is_number(dr['end']), 'summary: date_range start/end are numbers')
        check(dr['start'] == s['first_us'] / 1e6, f'summary: date_range.start {dr["start"]}')
        check(dr['end'] == s['last_us'] / 1e6, f'summary: date_range.end {dr["end"]}')
        check(r['symbols_by_exchange'] == s['symbols_by_exchange'], 'summary: symbols_by_exchange')
        check(r['record_count_by_symbol'] == s['record_count_by_symbol'], 'summary: record_count_by_symbol')
        check(
            all(isinstance(v, int) for v in r['record_count_by_symbol'].values()),
            'summary: record counts are ints',
        )

        # ---- health_check ----
        h = await client.health_check()
        check(h.get('status') == 'ok', f'health: status {h.get("status")}')
        check(isinstance(h.get('components'), dict), 'health: components')

        # ---- errors reach the client as {"error","message"} with the status ----
        try:
            await client.get_trades('DOGE-USD', 'coinbase')
            check(False, 'unknown symbol raises')
        except RuntimeError as e:
            text = str(e)
            check(text.startswith('Rust API error 404: '), f'unknown symbol: {text}')
            body = json.loads(text[len('Rust API error 404: '):])
            check(sorted(body) == ['error', 'message'] and body['error'] == 'unknown_symbol', 'error body')
    finally:
        await client.close()
    print(f'python compat: OK ({CHECKS} checks)')


if __name__ == '__main__':
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except Mismatch as m:
        print(f'python compat: MISMATCH: {m}', file=sys.stderr)
        sys.exit(1)
