"""Rows written one object per run, merged into one object per finished UTC day.

Jobs that run every few minutes (the run log, the mempool series) write each
run's rows under a time-stamped name, which a commit can list without reading
anything. Once a UTC day is over its objects are merged into one, named by a
digest of its content, so the manifest and a reader's requests grow by one
object a day rather than one a run. A row that lands after its day was merged
(a clock a little behind) is merged again with that day's object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.changes import publish
from chainprice.lake.manifest import Manifest, Op
from chainprice.lake.parquet_io import parquet_bytes, read_tables, write_object
from chainprice.lake_schema import parse_object, run_object
from chainprice.lake_schema.naming import mempool_day_object, mempool_runs_day_object
from chainprice.lake_schema.tables import MEMPOOL_RUNS, PRICES, RUNS

DIGEST_CHARS = 16


@dataclass(frozen=True)
class DailyRows:
    """A kind of per-run object and how a day of them is merged."""

    table: str
    kind: str
    """The objects' kind (``parse_object``), as a table may hold other kinds too."""
    schema: pa.Schema
    order: tuple[str, ...]
    """Columns the merged rows are sorted by, so the same rows give the same object."""
    merged_name: Callable[[dt.date, str], str]
    """The merged object's name, from its day and the digest of its content."""


def merge_finished_days(
    store: ObjectStore, manifest: Manifest, today: dt.date, rows: DailyRows
) -> list[Op]:
    """Changes that merge the objects of ``rows`` of each day before ``today`` into one."""
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for name in manifest.names(rows.table):
        obj = parse_object(name)
        if obj.kind == rows.kind and obj.date is not None and obj.date < today:
            by_day[obj.date].append(name)
    ops: list[Op] = []
    for day, members in sorted(by_day.items()):
        if len(members) < 2:
            continue
        data = read_tables(store, sorted(members), rows.schema, sizes=manifest.objects)
        data = data.sort_by([(column, "ascending") for column in rows.order])
        raw = parquet_bytes(data)
        name = rows.merged_name(day, hashlib.sha256(raw).hexdigest()[:DIGEST_CHARS])
        ops.append(publish(name, write_object(store, name, data, raw), members))
    return ops


def _runs_day_object(day: dt.date, digest: str) -> str:
    return run_object(dt.datetime.combine(day, dt.time(), dt.UTC), f"day-{digest}")


DAILY_ROWS = (
    DailyRows("runs", "run", RUNS.schema, ("started_at", "run_id"), _runs_day_object),
    DailyRows("prices", "mempool_price", PRICES.schema, ("computed_at",), mempool_day_object),
    DailyRows(
        "mempool_runs",
        "mempool_run",
        MEMPOOL_RUNS.schema,
        ("computed_at",),
        mempool_runs_day_object,
    ),
)
"""What is merged: the run log and the mempool series (estimates and their run rows)."""
