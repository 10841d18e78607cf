"""Pricing what the lake's new blocks made priceable, as changes to commit.

Days are priced once their window is settled; a day priced while its
canonical window was still pending is priced again on a later run, and a
settled day is never replaced (the first commit of it wins, as in one
sequential run). Results are staged objects with a digest in their name, so
two writers' versions never overwrite each other; the day's summary in the
manifest says which objects are its price, so a reorg knows what to redo.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from chainprice.adapters.storage import ObjectStore
from chainprice.core.errors import ChainPriceError
from chainprice.core.result import PriceResult
from chainprice.core.windows import HeaderSource, latest_day, utc_date
from chainprice.lake.changes import set_day, set_recent
from chainprice.lake.manifest import Manifest, Op
from chainprice.lake.parquet_io import stage
from chainprice.lake.price_records import (
    Validity,
    histogram_table,
    intraday_table,
    price_row,
    prices_table,
)
from chainprice.lake.reader import LakeBlocks
from chainprice.lake.segments import segments
from chainprice.lake.window_prices import day_price, recent_price
from chainprice.lake_schema import (
    day_price_object,
    histogram_object,
    intraday_object,
    recent_price_object,
)


class ExchangeRates(Protocol):
    def day_mean(self, manifest: Manifest, day: dt.date) -> tuple[float | None, list[Op]]: ...
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


def _candidate_days(lake: LakeBlocks, latest: dt.date) -> list[dt.date]:
    """Days a run of the lake's blocks may hold the windows of: after the run's first day, up
    to its last day (the latest closed day for the top run)."""
    runs = segments(lake.manifest)
    days: set[dt.date] = set()
    for run in runs:
        first = utc_date(lake.header_time(run.first)) + dt.timedelta(days=1)
        last = latest if run is runs[-1] else utc_date(lake.header_time(run.last))
        days.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return sorted(days)


def price_days(
    store: ObjectStore,
    manifest: Manifest,
    *,
    validity: Validity,
    exchange: ExchangeRates | None,
    computed_at: dt.datetime,
    lake: LakeBlocks,
    headers: HeaderSource | None = None,
) -> tuple[list[dt.date], list[Op]]:
    """Price every closed day the lake can answer and has not settled yet.

    ``lake`` is the block index of ``manifest``; ``headers`` what the window walks
    read (``NodeTipHeaders`` when a node is at hand; the lake itself otherwise).
    """
    if lake.empty:
        return [], []
    walk = headers or lake
    priced: list[dt.date] = []
    ops: list[Op] = []
    for day in _candidate_days(lake, latest_day(walk)):
        entry = manifest.days.get(day.isoformat())
        if entry and not entry["canonical_pending"]:
            continue
        try:
            result = day_price(store, manifest, day, walk)
        except ChainPriceError:
            continue  # its window reaches below the lake's first block
        exchange_price, exchange_ops = exchange.day_mean(manifest, day) if exchange else (None, [])
        row = price_row(result, validity, exchange_price, computed_at)
        objects = dict(
            [
                stage(store, day_price_object(day), prices_table([row])),
                stage(store, intraday_object(day), intraday_table(result)),
                stage(store, histogram_object(day), histogram_table(result)),
            ]
        )
        ops += [*exchange_ops, set_day(day.isoformat(), _summary(result, row), objects)]
        priced.append(day)
    return priced, ops


def price_recent(
    store: ObjectStore,
    manifest: Manifest,
    *,
    validity: Validity,
    exchange: ExchangeRates | None,
    computed_at: dt.datetime,
    lake: LakeBlocks,
) -> tuple[PriceResult | None, list[Op]]:
    """The latest 144 blocks' price, staged under the tip it was computed at (once per tip: the
    same blocks give the same price)."""
    if manifest.latest.get("recent", {}).get("tip_height") == manifest.tip_height:
        return None, []
    try:
        result = recent_price(store, manifest)
    except ChainPriceError:
        return None, []
    row = price_row(result, validity, exchange.latest() if exchange else None, computed_at)
    tip_time = dt.datetime.fromtimestamp(lake.header_time(result.tip), dt.UTC)
    name, info = stage(store, recent_price_object(tip_time, result.tip), prices_table([row]))
    summary = {"date": tip_time.date().isoformat(), **_summary(result, row)}
    return result, [set_recent(result.tip, summary, name, info)]
