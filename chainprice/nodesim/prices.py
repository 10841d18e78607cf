"""The exchange price a mempool.space-style API would report for the served chain.

Rows are hourly (plus one at the tip's time, the "latest price"), at the
planted USD price times a small deterministic noise, so the gap between
the on-chain price and the "exchange" is real but bounded. Other fiat
currencies follow from fixed rates. Queries answer as mempool.space's
backend does: the last row at or before a timestamp (not the nearest),
every row newest first without one, ``null`` for an unknown currency.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "CHF", "AUD", "JPY")
FX_PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "CAD": 1.36,
    "CHF": 0.88,
    "AUD": 1.52,
    "JPY": 150.5,
}
NOISE = 0.003
"""Largest relative gap between a row's USD price and the planted one."""
NO_DATA_TIME = 1279497600
"""The placeholder row's time the real API answers when no row precedes the timestamp."""
HOUR = 3600

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def _noise(unix_time: int) -> float:
    """A fixed value in [-1, 1) per timestamp."""
    digest = hashlib.blake2b(str(unix_time).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def _row(unix_time: int, usd: float) -> dict[str, int]:
    quoted = usd * (1.0 + NOISE * _noise(unix_time))
    return {"time": unix_time, **{c: round(quoted * FX_PER_USD[c]) for c in CURRENCIES}}


def _js_round2(x: float) -> float | int:
    """JavaScript's ``Math.round(x * 100) / 100``, printed as JavaScript prints numbers."""
    value = math.floor(x * 100 + 0.5) / 100
    return int(value) if value.is_integer() else value


def js_parse_int(text: str | None) -> int:
    """``parseInt(text, 10) || 0`` as the backend reads its ``timestamp`` parameter."""
    match = _LEADING_INT.match(text or "")
    return int(match.group(1)) if match else 0


class PriceFeed:
    """Hourly price rows up to the tip's time, oldest first."""

    def __init__(self, hourly: list[tuple[int, float]], latest: tuple[int, float]) -> None:
        rows = {t: usd for t, usd in hourly if t <= latest[0]}
        rows[latest[0]] = latest[1]
        self.rows = [_row(t, rows[t]) for t in sorted(rows)]

    @classmethod
    def hourly_from(cls, price_at: Any, start: int, latest_time: int) -> PriceFeed:
        """Rows on every whole hour from ``start`` to ``latest_time`` of ``price_at(t)``."""
        first = -(-start // HOUR) * HOUR
        hours = range(first, latest_time + 1, HOUR)
        return cls([(t, float(price_at(t))) for t in hours], (latest_time, price_at(latest_time)))

    def latest(self) -> dict[str, int]:
        """``/api/v1/prices``."""
        return self.rows[-1]

    def _exchange_rates(self) -> dict[str, float | int]:
        last = self.rows[-1]
        return {f"USD{c}": _js_round2(last[c] / last["USD"]) for c in CURRENCIES[1:]}

    def historical(self, currency: str | None, timestamp: int) -> dict[str, Any] | None:
        """``/api/v1/historical-price``; ``None`` (the API's ``null``) for an unknown currency."""
        if currency and currency not in CURRENCIES:
            return None
        if timestamp:
            before = [r for r in self.rows if r["time"] <= timestamp][-1:]
        else:
            before = self.rows[::-1]
        if currency:
            prices = [{"time": r["time"], currency: r[currency], "USD": r["USD"]} for r in before]
            if timestamp and not prices:
                prices = [{"time": NO_DATA_TIME, currency: 0, "USD": 0}]
        else:
            prices = list(before)
        return {"prices": prices, "exchangeRates": self._exchange_rates()}
