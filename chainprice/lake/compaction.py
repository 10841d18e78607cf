"""Merging a finished month's published day prices into one object.

Readers that open objects one at a time pay for each: DuckDB-WASM in the
browser makes about three sequential HTTP requests per Parquet object, so
two years of daily prices as 730 objects took over a minute to chart. Once a
month is finished its day price objects are merged into one object,
``prices/kind=day/month=YYYY-MM/days-<digest>.parquet``, that holds the
``date`` as a column (a Hive ``date`` key cannot name a month).

A month is finished when a day of a later month is published and none of
its own day prices is still staged: the lake only grows towards the tip, so
no day of that month can be added or changed after that. The merge goes
through the commit protocol like publication: the month object is written
under a deterministic name (a digest of its member names) and never
replaced, and the commit that lists it retires its members, which the sweep
deletes after the grace period. Concurrent writers merging the same members
write the same bytes and commit it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.changes import publish
from chainprice.lake.manifest import Manifest, Op
from chainprice.lake.parquet_io import decode, parquet_bytes, read_object, write_object
from chainprice.lake_schema import get_table, month_prices_object, parse_object, validate
from chainprice.lake_schema.errors import LakeSchemaError

if TYPE_CHECKING:
    from chainprice.lake.ingest import IngestReport

DAY_KINDS = ("day_price", "month_prices")
DATE = pa.field("date", pa.date32(), nullable=False)


def validate_month(data: pa.Table) -> pa.Table:
    """A month object's rows: the ``prices`` columns, then ``date``, one row per date in order."""
    if "date" not in data.column_names or data.column("date").type != pa.date32():
        raise LakeSchemaError("prices (month object): no date32 column named date")
    dates = data.column("date")
    if dates.null_count:
        raise LakeSchemaError(f"prices (month object): {dates.null_count} null date(s)")
    values = dates.to_pylist()
    if values != sorted(set(values)):
        raise LakeSchemaError("prices (month object): dates are not unique and in order")
    rows = validate("prices", data.drop_columns(["date"]))
    return rows.append_column(DATE, dates)


def month_rows(store: ObjectStore, manifest: Manifest, members: list[str]) -> pa.Table:
    """The rows of ``members`` (day objects and month objects) as one month object's table."""
    parts = []
    for name in members:
        obj = parse_object(name)
        data = read_object(store, name, sizes=manifest.objects)
        if obj.kind == "day_price":
            rows = validate("prices", data)
            data = rows.append_column(DATE, pa.array([obj.date] * rows.num_rows, pa.date32()))
        parts.append(validate_month(data))
    schema = pa.schema([*get_table("prices").schema, DATE])
    merged = pa.concat_tables([p.cast(schema) for p in parts])
    return validate_month(merged.sort_by([("date", "ascending")]))


def finished_months(manifest: Manifest) -> dict[str, list[str]]:
    """Month -> its published day price objects, for each finished month with a day object."""
    months: dict[str, list[str]] = defaultdict(list)
    staged: set[str] = set()
    for name in manifest.names("prices"):
        obj = parse_object(name)
        if obj.kind not in DAY_KINDS:
            continue
        month = obj.month or obj.date.strftime("%Y-%m")
        if obj.staged:
            staged.add(month)
        else:
            months[month].append(name)
    if not months:
        return {}
    current = max(months)
    return {
        month: sorted(names)
        for month, names in months.items()
        if month < current
        and month not in staged
        and any(parse_object(n).kind == "day_price" for n in names)
    }


def compaction_ops(store: ObjectStore, manifest: Manifest) -> tuple[list[Op], int]:
    """Write the month objects of the finished months; the changes that swap them in, and
    how many objects they replace."""
    ops: list[Op] = []
    replaced = 0
    for month, members in sorted(finished_months(manifest).items()):
        name = month_prices_object(month, members)
        raw = parquet_bytes(month_rows(store, manifest, members))
        info = write_object(store, name, decode(raw, name, store.url), raw)
        ops.append(publish(name, info, members))
        replaced += len(members)
    return ops, replaced


def compact_months(
    store: ObjectStore,
    manifest: Manifest,
    commit: Callable[[list[Op]], Manifest],
    report: IngestReport,
) -> Manifest:
    """Merge the finished months (``commit`` commits; ``report.objects_compacted`` counts)."""
    ops, replaced = compaction_ops(store, manifest)
    report.objects_compacted += replaced
    return commit(ops) if ops else manifest
