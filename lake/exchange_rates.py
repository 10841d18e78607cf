"""Exchange prices kept in the lake beside the on-chain ones, fetched once per day.

A day's exchange price is the mean of the API's rows stamped within the day
(hourly on mempool.space), the same span the on-chain day price covers. An
unreachable price API leaves the comparison empty (null columns) instead of
failing the on-chain work.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from adapters.exchange import ExchangePrices, ExchangeQuote
from adapters.storage import ObjectStore
from core.errors import SourceError
from core.windows import midnight
from lake.manifest import Manifest
from lake.parquet_io import write_table
from lake_schema import exchange_object, to_table


class LakeExchange:
    """``lake.price_jobs.ExchangeRates`` backed by a price API and the ``exchange_prices`` table."""

    def __init__(self, store: ObjectStore, api: ExchangePrices) -> None:
        self.store, self.api = store, api
        self.source = (urlsplit(api.base).hostname or "api").replace(":", "-")
        self._history: list[ExchangeQuote] | None = None

    def _rows(self, day: dt.date) -> list[ExchangeQuote]:
        if self._history is None:
            self._history = self.api.history(0, 2**40)
        start = midnight(day)
        return [q for q in self._history if start <= q.time < start + 86400]

    def store_day(self, manifest: Manifest, day: dt.date) -> list[float]:
        """The day's USD rows, from the lake if already kept, else from the API (then kept)."""
        name = exchange_object(day, self.source)
        if name in manifest.names("exchange_prices"):
            return pq.read_table(io.BytesIO(self.store.get(name)))["price"].to_pylist()
        quotes = self._rows(day)
        if quotes:
            table = to_table(
                "exchange_prices",
                {
                    "time": [q.time for q in quotes],
                    "currency": ["USD"] * len(quotes),
                    "price": [q.usd for q in quotes],
                    "source": [self.source] * len(quotes),
                },
            )
            write_table(self.store, name, table, create_only=True)
            manifest.add("exchange_prices", name)
        return [q.usd for q in quotes]

    def day_mean(self, manifest: Manifest, day: dt.date) -> float | None:
        try:
            prices = self.store_day(manifest, day)
        except SourceError as exc:
            print(f"chainprice: no exchange price for {day}: {exc}", file=sys.stderr)
            return None
        return sum(prices) / len(prices) if prices else None

    def latest(self) -> float | None:
        try:
            return self.api.latest().usd
        except SourceError as exc:
            print(f"chainprice: no current exchange price: {exc}", file=sys.stderr)
            return None
