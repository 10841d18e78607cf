"""Merging a finished day's per-block objects into one, and sweeping unlisted leftovers.

A day is finished once the median time past of the lake's tip is past the
day's end: every later block must be stamped after that median, so no block
of that day can still arrive. The merged object is written before the
manifest swaps it in, and members are deleted only after the swap, so a
reader (who goes by the manifest) always sees each row exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pyarrow as pa

from adapters.storage import ObjectStore
from core.windows import midnight
from lake.manifest import Manifest, save_manifest
from lake.objects import block_objects
from lake.parquet_io import read_tables, write_table
from lake_schema import compacted_object, get_table
from lake_schema.naming import PER_BLOCK_TABLES


def finished_days(manifest: Manifest, tip_median_time: int | None) -> set[dt.date]:
    if tip_median_time is None:
        return set()
    days = {o.date for o in block_objects(manifest, "blocks")}
    return {d for d in days if midnight(d + dt.timedelta(days=1)) <= tip_median_time}


def compact(store: ObjectStore, manifest: Manifest, days: set[dt.date]) -> int:
    """Merge each table's objects of ``days``; returns how many objects were merged away."""
    merged: list[str] = []
    for table in PER_BLOCK_TABLES:
        by_day: dict[dt.date, list[str]] = defaultdict(list)
        for obj in block_objects(manifest, table):
            if obj.date in days:
                by_day[obj.date].append(obj.name)
        for day, members in sorted(by_day.items()):
            if len(members) < 2:
                continue
            data: pa.Table = read_tables(store, members, get_table(table).schema)
            data = data.sort_by([(c, "ascending") for c in get_table(table).order_by])
            name = compacted_object(table, day, members)
            write_table(store, name, data, create_only=True)
            manifest.remove(table, set(members))
            manifest.add(table, name)
            merged += members
    if merged:
        save_manifest(store, manifest)
        for name in merged:
            store.delete(name)
    return len(merged)


def sweep(store: ObjectStore, manifest: Manifest) -> int:
    """Delete per-block objects no manifest lists (left by a run killed before its commit)."""
    gone = 0
    for table in PER_BLOCK_TABLES:
        live = set(manifest.names(table))
        for name in store.list(f"{table}/"):
            if name not in live:
                store.delete(name)
                gone += 1
    return gone
