"""Exchange prices from a mempool.space-compatible price API, to compare the on-chain price with.

Same HTTP layer as the node clients (retries with backoff on 429 and 5xx,
clear errors). The historical endpoint is read the way the real API means
it: the price of a moment is the last row stamped at or before it, never a
later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import BadResponseError, NotFoundError
from chainprice.adapters.node.http import HttpClient, body_json, redact
from chainprice.adapters.node.stats import FetchStats

MEMPOOL_SPACE_API = "https://mempool.space/api"


@dataclass(frozen=True)
class ExchangeQuote:
    """One row of the price API: BTC price in USD at ``time`` (Unix seconds), and the others."""

    time: int
    usd: float
    prices: Mapping[str, float] = field(default_factory=dict)
    """Every currency the row holds, by code (``"USD"``, ``"EUR"``...)."""


def _iso(unix_time: int) -> str:
    return dt.datetime.fromtimestamp(unix_time, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _quote(row: Any) -> ExchangeQuote | None:
    """The quote of one row, or ``None`` if it has no positive USD price (a gap in the API)."""
    if not isinstance(row, dict):
        return None
    try:
        time = int(row["time"])
        prices = {
            k: float(v)
            for k, v in row.items()
            if k != "time" and isinstance(v, int | float) and not isinstance(v, bool)
        }
    except (KeyError, TypeError, ValueError):
        return None
    usd = prices.get("USD", 0.0)
    return ExchangeQuote(time, usd, prices) if usd > 0 else None


class ExchangePrices:
    """Client of ``<base_url>/v1/prices`` and ``<base_url>/v1/historical-price``.

    ``base_url`` is the API root, ``https://mempool.space/api`` by default (or
    a simulated node's ``<url>/api``). ``config`` must be the price API's own:
    a node's credentials and tunnel headers never belong here.
    """

    def __init__(self, base_url: str = MEMPOOL_SPACE_API, config: NodeConfig | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.shown = redact(self.base)
        """The base URL as messages show it (credentials removed)."""
        self.stats = FetchStats()
        self.http = HttpClient(config or NodeConfig(), self.stats, service="the price API")

    def latest(self) -> ExchangeQuote:
        """The current price (``/v1/prices``)."""
        quote = _quote(self.http.get(f"{self.base}/v1/prices", body_json))
        if quote is None:
            raise BadResponseError(f"the price API at {self.shown} sent no current USD price")
        return quote

    def _rows(self, params: dict[str, Any]) -> list[Any]:
        answer = self.http.get(f"{self.base}/v1/historical-price", body_json, params=params)
        rows = answer.get("prices") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise BadResponseError(f"the price API at {self.shown} sent no list of prices")
        return rows

    def historical(self, timestamp: int, currency: str = "USD") -> ExchangeQuote:
        """The last price row stamped at or before ``timestamp``; a clear error if there is none."""
        rows = self._rows({"currency": currency, "timestamp": int(timestamp)})
        quotes = [
            q
            for q in map(_quote, rows)
            if q is not None and q.time <= timestamp and q.prices.get(currency, 0) > 0
        ]
        if not quotes:
            raise NotFoundError(
                f"the price API has no {currency} price at or before {_iso(int(timestamp))}"
            )
        return max(quotes, key=lambda q: q.time)

    def history(self, start: int, end: int) -> list[ExchangeQuote]:
        """Every USD price row stamped in ``[start, end)``, oldest first."""
        quotes = [q for q in map(_quote, self._rows({"currency": "USD"})) if q is not None]
        return sorted((q for q in quotes if start <= q.time < end), key=lambda q: q.time)
