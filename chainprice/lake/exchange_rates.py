"""Exchange prices kept in the lake beside the on-chain ones, fetched once per day.

A day's exchange price is the mean of the API's rows stamped within the day
(hourly on mempool.space), the same span the on-chain day price covers. An
unreachable price API leaves the comparison empty (null columns) instead of
failing the on-chain work.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

from chainprice.adapters.exchange import ExchangePrices, ExchangeQuote
from chainprice.adapters.storage import ObjectStore
from chainprice.core.errors import SourceError
from chainprice.core.windows import midnight
from chainprice.lake.changes import add_object
from chainprice.lake.manifest import Manifest, Op
from chainprice.lake.parquet_io import read_object, stage
from chainprice.lake_schema import exchange_object, parse_object, to_table

LOG = logging.getLogger("chainprice")
"""Warnings reach the job's log (JSON lines in a function) or the CLI's stderr."""


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

    def _kept(self, manifest: Manifest, day: dt.date) -> str | None:
        for name in manifest.names("exchange_prices"):
            obj = parse_object(name)
            if obj.date == day and obj.source == self.source:
                return name
        return None

    def store_day(self, manifest: Manifest, day: dt.date) -> tuple[list[float], list[Op]]:
        """The day's USD rows, from the lake if already kept, else from the API (then staged)."""
        kept = self._kept(manifest, day)
        if kept is not None:
            table = read_object(self.store, kept, ["price"], manifest.objects)
            return table["price"].to_pylist(), []
        quotes = self._rows(day)
        if not quotes:
            return [], []
        table = to_table(
            "exchange_prices",
            {
                "time": [q.time for q in quotes],
                "currency": ["USD"] * len(quotes),
                "price": [q.usd for q in quotes],
                "source": [self.source] * len(quotes),
            },
        )
        name, info = stage(self.store, exchange_object(day, self.source), table)
        return [q.usd for q in quotes], [
            add_object(name, info, {"date": day, "source": self.source})
        ]

    def day_mean(self, manifest: Manifest, day: dt.date) -> tuple[float | None, list[Op]]:
        try:
            prices, ops = self.store_day(manifest, day)
        except SourceError as exc:
            LOG.warning("no exchange price for %s: %s", day, exc)
            return None, []
        return (sum(prices) / len(prices) if prices else None), ops

    def latest(self) -> float | None:
        try:
            return self.api.latest().usd
        except SourceError as exc:
            LOG.warning("no current exchange price: %s", exc)
            return None
