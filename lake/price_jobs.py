"""Pricing what the lake's new blocks made priceable, and storing the results.

Days are priced once their window is settled; a day priced while its
canonical window was still pending is priced again on a later run. Results
go to ``prices`` (one object per day, rewritten whole), ``intraday`` and ``histograms``;
the manifest keeps each day's windows, so a reorg knows which days to redo.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from adapters.storage import ObjectStore
from core.errors import ChainPriceError
from core.result import PriceResult
from core.windows import latest_day, utc_date
from lake.manifest import Manifest
from lake.parquet_io import write_table
from lake.price_records import (
    Validity,
    histogram_table,
    intraday_table,
    price_row,
    prices_table,
)
from lake.reader import LakeBlocks
from lake.window_prices import day_price, recent_price
from lake_schema import (
    day_price_object,
    histogram_object,
    intraday_object,
    recent_price_object,
)


class ExchangeRates(Protocol):
    def day_mean(self, manifest: Manifest, day: dt.date) -> float | None: ...
    def latest(self) -> float | None: ...


def _summary(result: PriceResult, row: dict) -> dict:
    return {
        "price": result.price,
        "rough_price": result.rough,
        "start_height": result.start,
        "end_height": result.end,
        "tip_height": result.tip,
        "canonical_end_height": row["canonical_end_height"],
        "canonical_pending": result.canonical_pending,
        "confidence": row["confidence"],
        "is_valid": row["is_valid"],
        "exchange_price": row["exchange_price"],
        "diff_pct": row["diff_pct"],
        "diverges": row["diverges"],
        "invalid_reason": row["invalid_reason"],
        "computed_at": row["computed_at"].isoformat(),
    }


def price_days(
    store: ObjectStore,
    manifest: Manifest,
    *,
    validity: Validity,
    exchange: ExchangeRates | None,
    computed_at: dt.datetime,
    lake: LakeBlocks,
    days: list[dt.date] | None = None,
) -> list[dt.date]:
    """Price every closed day the lake can answer and has not settled yet; returns them.

    ``lake`` is the block index of ``manifest``, shared by every day's window walk.
    """
    if lake.empty:
        return []
    first = utc_date(lake.header_time(manifest.first_height)) + dt.timedelta(days=1)
    last = latest_day(lake)
    candidates = days or [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    priced = []
    for day in candidates:
        entry = manifest.days.get(day.isoformat())
        if entry and not entry["canonical_pending"]:
            continue
        try:
            result = day_price(store, manifest, day, lake)
        except ChainPriceError:
            continue  # its window reaches below the lake's first block
        row = price_row(
            result, validity, exchange.day_mean(manifest, day) if exchange else None, computed_at
        )
        write_table(store, day_price_object(day), prices_table([row]), create_only=False)
        write_table(store, intraday_object(day), intraday_table(result), create_only=False)
        manifest.add("prices", day_price_object(day))
        manifest.add("intraday", intraday_object(day))
        write_table(store, histogram_object(day), histogram_table(result), create_only=False)
        manifest.add("histograms", histogram_object(day))
        manifest.days[day.isoformat()] = _summary(result, row)
        manifest.latest["day"] = {"date": day.isoformat(), **manifest.days[day.isoformat()]}
        priced.append(day)
    return priced


def price_recent(
    store: ObjectStore,
    manifest: Manifest,
    *,
    validity: Validity,
    exchange: ExchangeRates | None,
    computed_at: dt.datetime,
    lake: LakeBlocks,
) -> PriceResult | None:
    """The latest 144 blocks' price, stored under the tip it was computed at."""
    try:
        result = recent_price(store, manifest)
    except ChainPriceError:
        return None
    row = price_row(result, validity, exchange.latest() if exchange else None, computed_at)
    tip_time = dt.datetime.fromtimestamp(lake.header_time(result.tip), dt.UTC)
    name = recent_price_object(tip_time, result.tip)  # one object per tip, however often rerun
    write_table(store, name, prices_table([row]), create_only=False)
    manifest.add("prices", name)
    manifest.latest["recent"] = {"date": tip_time.date().isoformat(), **_summary(result, row)}
    return result
