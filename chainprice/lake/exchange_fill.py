"""Exchange fields for day prices stored while the price API was down.

A day priced without an exchange price keeps null comparison columns; each
later run asks the API again and, once it answers, stages a new version of
the day's price row with the comparison filled in. A day waiting for its
exchange price is published only when the API answered, or
``PATIENCE_DAYS`` after it was priced: a published object is never rewritten.
"""

from __future__ import annotations

import datetime as dt

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.manifest import Manifest, Op
from chainprice.lake.parquet_io import read_object, stage
from chainprice.lake.price_jobs import ExchangeRates
from chainprice.lake.price_records import exchange_fields, prices_table
from chainprice.lake_schema import day_price_object, parse_object
from chainprice.lake_schema.tables import PRICES

PATIENCE_DAYS = 3
"""Days a finished day's publication waits for the price API to come back."""


def _missing(manifest: Manifest) -> dict[dt.date, str]:
    """Days without an exchange price whose price row is still staged (can still change)."""
    found: dict[dt.date, str] = {}
    for day, entry in manifest.days.items():
        if entry.get("exchange_price") is not None:
            continue
        for name in entry.get("objects", ()):
            obj = parse_object(name)
            if obj.kind == "day_price" and obj.staged:
                found[dt.date.fromisoformat(day)] = name
    return found


def awaiting_exchange(manifest: Manifest, now: dt.datetime) -> set[dt.date]:
    """Finished days to hold back from publication while their exchange price may still come:
    those priced without one less than ``PATIENCE_DAYS`` ago."""
    since = now - dt.timedelta(days=PATIENCE_DAYS)
    priced = {day: manifest.days[day.isoformat()]["computed_at"] for day in _missing(manifest)}
    return {day for day, at in priced.items() if dt.datetime.fromisoformat(at) > since}


def refill(day: str, old: str, name: str, info: list, fields: dict) -> Op:
    """The day's price row ``old`` becomes ``name`` (with ``fields``), if ``old`` is still its."""

    def apply(m: Manifest) -> None:
        entry = m.days.get(day)
        if entry is None or old not in entry.get("objects", ()) or old not in m.objects:
            return
        m.retire({old})
        m.add(name, info)
        entry["objects"] = sorted((set(entry["objects"]) - {old}) | {name})
        entry |= {k: fields[k] for k in ("exchange_price", "diff_pct", "diverges")}
        if m.latest.get("day", {}).get("date") == day:
            m.latest["day"] = {"date": day, **entry}

    return apply


def fill_exchange(
    store: ObjectStore, manifest: Manifest, exchange: ExchangeRates
) -> tuple[list[dt.date], list[Op]]:
    """The changes that fill in the comparison of every day that lacks it and can take it."""
    filled: list[dt.date] = []
    ops: list[Op] = []
    for day, old in sorted(_missing(manifest).items()):
        mean, exchange_ops = exchange.day_mean(manifest, day)
        if mean is None:
            continue
        (row,) = read_object(store, old, None, manifest.objects).to_pylist()
        fields = exchange_fields(row["price"], mean)
        data = prices_table([{k: row[k] for k in PRICES.schema.names if k in row} | fields])
        name, info = stage(store, day_price_object(day), data)
        ops += [*exchange_ops, refill(day.isoformat(), old, name, info, fields)]
        filled.append(day)
    return filled, ops
