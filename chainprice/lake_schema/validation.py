"""Turning rows into a table's Arrow form, and checking tables before they reach the lake.

Writers call these just before writing, so a wrong type, a null where none
is allowed or rows out of order stop the write with the column's name,
instead of becoming a file that readers misread later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainprice.lake_schema.errors import LakeSchemaError
from chainprice.lake_schema.tables import Table, get_table

Rows = Sequence[Mapping[str, Any]] | Mapping[str, Any]
"""Row dicts, or columns by name (lists or numpy arrays, e.g. straight from the engine)."""


def to_table(table: str, rows: Rows) -> pa.Table:
    """``rows`` as an Arrow table with ``table``'s stored columns, checked like ``validate``."""
    spec = get_table(table)
    columns = rows if isinstance(rows, Mapping) else _columns_of_rows(spec, rows)
    _check_names(spec, set(columns))
    arrays = []
    for fld in spec.schema:
        try:
            arrays.append(pa.array(columns[fld.name], type=fld.type))
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise LakeSchemaError(
                f"{table}.{fld.name}: values do not fit {fld.type} ({exc})"
            ) from None
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise LakeSchemaError(f"{table}: columns have different lengths {sorted(lengths)}")
    return validate(table, pa.Table.from_arrays(arrays, names=spec.schema.names))


def validate(table: str, data: pa.Table) -> pa.Table:
    """``data`` with ``table``'s schema (docs included, columns in order), or a clear error."""
    spec = get_table(table)
    _check_names(spec, set(data.column_names))
    data = data.select(spec.schema.names)
    for fld in spec.schema:
        column = data.column(fld.name)
        if column.type != fld.type:
            raise LakeSchemaError(
                f"{table}.{fld.name}: type is {column.type}, the schema says {fld.type}"
            )
        if not fld.nullable and column.null_count:
            raise LakeSchemaError(f"{table}.{fld.name}: {column.null_count} null value(s)")
        _check_values(table, fld, column)
    _check_order(spec, data)
    return pa.Table.from_arrays(data.columns, schema=spec.schema)


def _columns_of_rows(spec: Table, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    names = set(spec.schema.names)
    for i, row in enumerate(rows):
        if set(row) != names:
            missing, extra = sorted(names - set(row)), sorted(set(row) - names)
            raise LakeSchemaError(
                f"{spec.name} row {i}: missing columns {missing}, unknown columns {extra}"
            )
    return {name: [row[name] for row in rows] for name in spec.schema.names}


def _check_names(spec: Table, given: set[str]) -> None:
    expected = set(spec.schema.names)
    if missing := sorted(expected - given):
        raise LakeSchemaError(f"{spec.name}: missing column(s) {', '.join(missing)}")
    if extra := sorted(given - expected):
        hint = ""
        if set(extra) & set(spec.partition_columns):
            hint = " (partition columns belong in the object name, not in the file)"
        raise LakeSchemaError(f"{spec.name}: unknown column(s) {', '.join(extra)}{hint}")


def _check_values(table: str, fld: pa.Field, column: pa.ChunkedArray) -> None:
    allowed = (fld.metadata or {}).get(b"values")
    if allowed is None:
        return
    choices = allowed.decode().split(",")
    bad = pc.unique(column.filter(pc.invert(pc.is_in(column, pa.array(choices))))).to_pylist()
    if bad:
        raise LakeSchemaError(f"{table}.{fld.name}: {bad} not among {choices}")


def _check_order(spec: Table, data: pa.Table) -> None:
    if not spec.order_by or data.num_rows < 2:
        return
    keys = [(name, "ascending") for name in spec.order_by]
    order = pc.sort_indices(data.select(list(spec.order_by)), sort_keys=keys).to_numpy()
    if not np.array_equal(order, np.arange(data.num_rows)):
        row = int(np.argmax(order != np.arange(data.num_rows)))
        raise LakeSchemaError(
            f"{spec.name}: rows are not ordered by ({', '.join(spec.order_by)}) at row {row}"
        )
