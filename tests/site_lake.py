"""Lakes for the site's browser tests and benchmark: a golden day ingested by the real code,
plus days, exchange prices and mempool estimates written as ``prices`` rows directly (a
divergent day, an invalid day, two years of history) and committed like ingest does."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path

from file_node import FileNode

from chainprice.adapters.block_files import BlockFiles
from chainprice.adapters.storage import ObjectStore, open_store
from chainprice.lake.feed import write_feed
from chainprice.lake.ingest import ingest
from chainprice.lake.manifest import Manifest, load_manifest
from chainprice.lake.manifest import commit as commit_manifest
from chainprice.lake.parquet_io import read_object, stage, write_object
from chainprice.lake_schema import day_price_object, mempool_price_object, parse_object, to_table

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CHAIN = "g2_97k"


def golden_lake(folder: Path) -> tuple[ObjectStore, Manifest, dt.date]:
    """A lake holding the golden chain's blocks and its one priced day, by the real ingest."""
    chain = json.loads((GOLDEN / "expected.json").read_text())["chains"][CHAIN]
    lo, hi = chain["heights"]
    store = open_store(str(folder))
    ingest(store, FileNode.from_files(BlockFiles(GOLDEN / CHAIN), lo, hi), start_height=lo)
    return store, load_manifest(store), dt.date.fromisoformat(chain["days"][0]["date"])


def _day_object(manifest: Manifest, day: dt.date) -> str | None:
    for name in manifest.names("prices"):
        obj = parse_object(name)
        if obj.kind == "day_price" and obj.date == day:
            return name
    return None


def day_row(store: ObjectStore, day: dt.date) -> dict:
    return read_object(store, _day_object(load_manifest(store), day)).to_pylist()[0]


def compared(row: dict, price: float, exchange: float | None) -> dict:
    """``row`` with ``price`` and its comparison with ``exchange`` (as price_records does)."""
    diff = None if exchange is None else price - exchange
    pct = None if exchange is None else 100.0 * diff / exchange
    return row | {
        "price": price,
        "canonical_price": price,
        "exchange_price": exchange,
        "diff_usd": diff,
        "diff_pct": pct,
        "diverges": None if pct is None else abs(pct) > 2.0,
    }


def put_day(
    store: ObjectStore, manifest: Manifest, day: dt.date, row: dict, published: bool = False
) -> None:
    """``row`` as ``day``'s price: staged, or ``published`` as a finished day's object."""
    old = _day_object(manifest, day)
    if old is not None:
        manifest.retire([old])
    if published:
        name = day_price_object(day)
        info = write_object(store, name, to_table("prices", [row]))
    else:
        name, info = stage(store, day_price_object(day), to_table("prices", [row]))
    manifest.add(name, info)
    summary = {k: row[k] for k in ("price", "rough_price", "confidence", "is_valid")}
    summary |= {k: row[k] for k in ("invalid_reason", "exchange_price", "diff_pct", "diverges")}
    summary |= {k: row[k] for k in ("start_height", "end_height", "tip_height")}
    summary |= {"computed_at": row["computed_at"].isoformat(), "date": day.isoformat()}
    entry = manifest.days.get(day.isoformat(), {})
    manifest.days[day.isoformat()] = entry | summary | {"canonical_pending": False}
    if max(manifest.days) == day.isoformat():
        manifest.latest["day"] = manifest.days[day.isoformat()]


def put_mempool(
    store: ObjectStore, manifest: Manifest, template: dict, at: dt.datetime, price: float
) -> None:
    row = compared(template, price, None) | {"canonical_price": None, "computed_at": at}
    row |= {"canonical_start_height": None, "canonical_end_height": None}
    name, info = stage(store, mempool_price_object(at), to_table("prices", [row]))
    manifest.add(name, info)
    manifest.latest["mempool"] = {
        k: row[k] for k in ("price", "rough_price", "confidence", "is_valid", "invalid_reason")
    } | {"computed_at": at.isoformat(), "tip_height": row["tip_height"]}


def commit(store: ObjectStore, manifest: Manifest) -> dict:
    """Commit the rows added to ``manifest`` (a copy of the current one, changed in place)."""
    kept = ("files", "objects", "retired", "days", "latest")

    def apply(current: Manifest) -> None:
        for name in kept:
            setattr(current, name, getattr(manifest, name))

    return write_feed(store, commit_manifest(store, [apply]))


def compact(store: ObjectStore) -> dict:
    """Merge the finished months' day prices as ``ingest`` does, and rewrite the feed."""
    from chainprice.lake.compaction import compact_months
    from chainprice.lake.ingest import IngestReport

    ops = partial(commit_manifest, store)
    return write_feed(store, compact_months(store, load_manifest(store), ops, IngestReport(0)))
