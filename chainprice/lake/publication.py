"""Publishing finished days, and deleting what no reader can still need.

While a day can still change (blocks may arrive or be reorganised, its price
may be repriced) its objects are staged; direct readers of the table folders
(DuckDB or polars globs, BigQuery external tables) never see them. Once the
day is finished - the lake tip's median time past is past the day's end, so
no block of that day can still arrive; its last block is deeper than any
reorg the lake accepts; its price is settled - each table's staged objects of
the day are merged into one published object under a deterministic name.
Publishing the same committed objects always gives the same bytes, so
concurrent writers publish the same object, and a published object is never
replaced: a glob sees every finished day's rows exactly once.

Objects leave the manifest into ``retired`` first and are deleted after the
grace period, so a reader holding an older manifest keeps working; objects
no manifest lists (left by killed runs) are deleted once older than the grace.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import numpy as np

from chainprice.adapters.storage import ObjectStore
from chainprice.core.windows import midnight, utc_date
from chainprice.lake.chain_check import MAX_REORG_DEPTH
from chainprice.lake.changes import forget, publish, swept
from chainprice.lake.manifest import DATA_PREFIXES, HISTORY, Manifest, Op, commit, load_manifest
from chainprice.lake.parquet_io import decode, parquet_bytes, read_tables, write_object
from chainprice.lake.reader import LakeBlocks
from chainprice.lake.segments import segments
from chainprice.lake_schema import (
    compacted_object,
    day_price_object,
    exchange_object,
    get_table,
    histogram_object,
    intraday_object,
    parse_object,
    recent_day_object,
)
from chainprice.lake_schema.errors import LakeNameError
from chainprice.lake_schema.naming import PER_BLOCK_TABLES

DEFAULT_GRACE_SECONDS = 3600.0
MTP_SPAN = 11


def median_time_at(lake: LakeBlocks, height: int, first: int) -> int | None:
    """Median time past of the ``MTP_SPAN`` blocks ending at ``height`` (a run from ``first``)."""
    if height - first + 1 < MTP_SPAN:
        return None
    return int(np.median(lake.times(height - MTP_SPAN + 1, height)))


def finished_days(lake: LakeBlocks, max_depth: int = MAX_REORG_DEPTH) -> set[dt.date]:
    """Days whose blocks can no longer change.

    Within one run of blocks (``lake.segments``), a day after the run's first
    day (which may lack earlier blocks) and before its last block's median
    time past (no later block can be stamped on it) holds all its blocks.
    """
    manifest = lake.manifest
    if manifest.tip_height is None:
        return set()
    deepest = manifest.tip_height - max_depth
    last_height: dict[dt.date, int] = defaultdict(int)
    for name in manifest.names("blocks"):
        obj = parse_object(name)
        if obj.staged:
            last_height[obj.date] = max(last_height[obj.date], obj.last_height or 0)
    bounds = []
    for run in segments(manifest):
        mtp = median_time_at(lake, run.last, run.first)
        if mtp is not None:
            bounds.append((utc_date(lake.header_time(run.first)), mtp))
    return {
        day
        for day, last in last_height.items()
        if last <= deepest
        and any(
            day > first_day and midnight(day + dt.timedelta(days=1)) <= mtp
            for first_day, mtp in bounds
        )
    }


def _staged_by_day(manifest: Manifest, table: str, kinds: tuple[str, ...]) -> dict:
    groups: dict[tuple, list[str]] = defaultdict(list)
    for name in manifest.names(table):
        obj = parse_object(name)
        if obj.staged and obj.kind in kinds:
            groups[(obj.date, obj.kind, obj.source)].append(name)
    return groups


def _merged(store: ObjectStore, manifest: Manifest, table: str, members: list[str]):
    spec = get_table(table)
    data = read_tables(store, members, spec.schema, sizes=manifest.objects)
    if spec.order_by:
        data = data.sort_by([(c, "ascending") for c in spec.order_by])
    elif table == "prices":
        data = data.sort_by([("tip_height", "ascending"), ("computed_at", "ascending")])
    return data


def publication_ops(
    store: ObjectStore, manifest: Manifest, days: set[dt.date]
) -> tuple[list[Op], int]:
    """Write the published objects of ``days``; the changes that swap them in, and how many
    staged objects they replace."""
    ops: list[Op] = []
    plans: list[tuple[str, str, list[str]]] = []
    for table in PER_BLOCK_TABLES:
        for (day, _, _), members in _staged_by_day(manifest, table, ("block",)).items():
            if day in days:
                plans.append((table, compacted_object(table, day, members), members))
    settled = {d for d, e in manifest.days.items() if not e["canonical_pending"]}
    singles = {
        "day_price": lambda d, s: day_price_object(d),
        "intraday": lambda d, s: intraday_object(d),
        "exchange": lambda d, s: exchange_object(d, s),
        "recent_price": lambda d, s: recent_day_object(d),
        "histogram": lambda d, s: histogram_object(d),
    }
    for table in ("prices", "intraday", "exchange_prices", "histograms"):
        for (day, kind, source), members in _staged_by_day(manifest, table, tuple(singles)).items():
            needs_settled = kind in ("day_price", "intraday", "histogram")
            if day in days and (day.isoformat() in settled or not needs_settled):
                plans.append((table, singles[kind](day, source), members))
    for table, name, members in sorted(plans):
        data = _merged(store, manifest, table, sorted(members))
        raw = parquet_bytes(data)
        info = write_object(store, name, decode(raw, name, store.url), raw)
        ops.append(publish(name, info, members))
    return ops, sum(len(members) for _, _, members in plans)


def sweep(
    store: ObjectStore, manifest: Manifest, grace: float = DEFAULT_GRACE_SECONDS
) -> tuple[int, Manifest]:
    """Delete retired objects past the grace, and (once per grace) unlisted old leftovers."""
    now = time.time()
    due = {n for n, at in manifest.retired.items() if at <= now - grace}
    for name in sorted(due):
        store.delete(name)
    ops: list[Op] = [forget(due)] if due else []
    gone = len(due)
    if now - manifest.swept_at >= grace:
        current = load_manifest(store)
        known = set(current.objects) | set(current.retired)
        for prefix in DATA_PREFIXES:
            if prefix == HISTORY:
                continue
            for info in store.list_details(prefix):
                if info.name in known or info.updated > now - grace or not _is_lake(info.name):
                    continue
                store.delete(info.name)
                gone += 1
        ops.append(swept(now))
    return gone, commit(store, ops) if ops else manifest


def _is_lake(name: str) -> bool:
    try:
        parse_object(name)
    except LakeNameError:
        return False
    return True
