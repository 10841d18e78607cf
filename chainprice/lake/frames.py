"""A lake table as one Arrow table, read from the objects the manifest lists for a range.

Objects are chosen by what their names say (the ``date=`` or ``month=``
partition, the heights of per-block objects), so reading a few days of a
long lake opens those days' objects only and never lists the bucket. Hive
partition columns, which live in names only, are added back as columns, so
the rows and columns are those of ``chainprice sql``'s views.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from chainprice.adapters.storage import ObjectStore
from chainprice.core.errors import UsageError
from chainprice.lake.manifest import Manifest
from chainprice.lake.parquet_io import read_object
from chainprice.lake_schema import LakeObject, Table, get_table, parse_object


@dataclass(frozen=True)
class RowRange:
    """Inclusive bounds on ``date`` and ``height``; ``None`` leaves a side open."""

    from_date: dt.date | None = None
    to_date: dt.date | None = None
    from_height: int | None = None
    to_height: int | None = None

    @property
    def by_date(self) -> bool:
        return self.from_date is not None or self.to_date is not None

    @property
    def by_height(self) -> bool:
        return self.from_height is not None or self.to_height is not None

    def holds_dates(self, first: dt.date, last: dt.date) -> bool:
        return (self.from_date is None or last >= self.from_date) and (
            self.to_date is None or first <= self.to_date
        )

    def holds_heights(self, first: int, last: int) -> bool:
        return (self.from_height is None or last >= self.from_height) and (
            self.to_height is None or first <= self.to_height
        )


def _month_days(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(f"{month}-01")
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _wanted(obj: LakeObject, rows: RowRange) -> bool:
    if rows.by_date:
        if obj.date is not None and not rows.holds_dates(obj.date, obj.date):
            return False
        if obj.month is not None and not rows.holds_dates(*_month_days(obj.month)):
            return False
    if rows.by_height and obj.first_height is not None and obj.kind in ("block", "compacted"):
        return rows.holds_heights(obj.first_height, obj.last_height or obj.first_height)
    return True


def _check(table: Table, rows: RowRange, columns: Sequence[str] | None) -> None:
    names = table.dataset_schema.names
    if rows.by_date and "date" not in names:
        raise UsageError(f"table {table.name} has no date column to filter on")
    if rows.by_height and "height" not in names:
        raise UsageError(
            f"table {table.name} has no height column to filter on (filter it by date)"
        )
    unknown = [c for c in columns or () if c not in names]
    if unknown:
        raise UsageError(
            f"table {table.name} has no column {unknown[0]!r} (columns: {', '.join(names)})"
        )


def selected_objects(manifest: Manifest, table: str, rows: RowRange) -> list[str]:
    """The listed objects of ``table`` that can hold rows of ``rows``, in date and height order."""
    objects = [parse_object(n) for n in manifest.names(table)]
    chosen = [o for o in objects if _wanted(o, rows)]
    chosen.sort(key=lambda o: (o.date or dt.date.min, o.month or "", o.first_height or 0, o.name))
    return [o.name for o in chosen]


def _with_partitions(part: pa.Table, obj: LakeObject, table: Table) -> pa.Table:
    """``part`` with the partition values its name holds, as typed columns."""
    for field in table.partitions:
        if field.name in part.column_names:
            continue
        text = obj.partitions.get(field.name)
        value = dt.date.fromisoformat(text) if text and pa.types.is_date(field.type) else text
        part = part.append_column(field, pa.array([value] * part.num_rows, field.type))
    return part


def read_frame(
    store: ObjectStore,
    manifest: Manifest,
    name: str,
    rows: RowRange | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """``name``'s rows within ``rows`` (every row by default), columns in the table's order."""
    table = get_table(name)
    rows = rows or RowRange()
    _check(table, rows, columns)
    schema = table.dataset_schema
    filters = {c for c in ("date", "height") if getattr(rows, f"by_{c}")}
    wanted = [c for c in schema.names if columns is None or c in columns]
    needed = pa.schema([schema.field(c) for c in schema.names if c in wanted or c in filters])
    stored = [c for c in table.schema.names if c in needed.names]
    parts = []
    for object_name in selected_objects(manifest, name, rows):
        obj = parse_object(object_name)
        # a month object of day prices keeps each row's date as a column, not in its name
        reads = [*stored, "date"] if obj.month and "date" in needed.names else stored
        part = read_object(store, object_name, reads, sizes=manifest.objects)
        parts.append(_with_partitions(part, obj, table).select(needed.names).cast(needed))
    full = pa.concat_tables(parts) if parts else needed.empty_table()
    keep = _mask(full, rows)
    return (full.filter(keep) if keep is not None else full).select(wanted)


def _mask(full: pa.Table, rows: RowRange) -> pa.Array | None:
    tests = []
    for column, low, high in (
        ("date", rows.from_date, rows.to_date),
        ("height", rows.from_height, rows.to_height),
    ):
        if low is not None:
            tests.append(
                pc.greater_equal(full[column], pa.scalar(low, full.schema.field(column).type))
            )
        if high is not None:
            tests.append(
                pc.less_equal(full[column], pa.scalar(high, full.schema.field(column).type))
            )
    if not tests:
        return None
    mask = tests[0]
    for test in tests[1:]:
        mask = pc.and_(mask, test)
    return mask
