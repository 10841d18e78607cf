"""Parquet bytes in and out of an object store, one whole object at a time."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from adapters.storage import ObjectStore

COMPRESSION = "zstd"
INCOMPRESSIBLE = frozenset({"txid"})
"""Hash columns: uniformly random bytes, which compression only slows down."""


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    names = table.column_names
    pq.write_table(
        table,
        sink,
        compression={n: "none" if n in INCOMPRESSIBLE else COMPRESSION for n in names},
        use_dictionary=[n for n in names if n not in INCOMPRESSIBLE],
    )
    return sink.getvalue()


def write_table(store: ObjectStore, name: str, table: pa.Table, *, create_only: bool) -> None:
    """Write ``table`` as one object. Create-only names are deterministic: an existing
    object under the name was written whole by an earlier (maybe killed) run of the same
    work, so it is kept as it is.
    """
    store.put(name, parquet_bytes(table), create_only=create_only)


def read_tables(
    store: ObjectStore,
    names: Sequence[str],
    schema: pa.Schema,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The rows of ``names`` in order, as one table (an empty one for no names)."""
    wanted = None if columns is None else list(columns)
    parts = [pq.read_table(io.BytesIO(store.get(n)), columns=wanted) for n in names]
    if not parts:
        wanted = schema if columns is None else pa.schema([schema.field(c) for c in columns])
        return wanted.empty_table()
    return pa.concat_tables(parts, promote_options="default")
