"""Parquet bytes in and out of an object store, one whole object at a time.

Pages carry CRC checksums, checked on every read, so a damaged object is
named instead of misread. Objects are decoded from Arrow buffers, never from
Python file objects, so no Arrow thread needs the interpreter.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chainprice.adapters.storage import ObjectMissingError, ObjectStore
from chainprice.core.errors import SourceError
from chainprice.lake.manifest import object_info
from chainprice.lake_schema import staged, versioned

COMPRESSION = "zstd"
INCOMPRESSIBLE = frozenset({"txid"})
"""Hash columns: uniformly random bytes, which compression only slows down."""
VOLATILE = frozenset({"ingested_at", "computed_at"})
"""Columns saying when a row was written, not what it holds: two runs of the same work differ
only there, so an existing object that differs only there is the same content."""


class LakeObjectError(SourceError):
    """An object the manifest lists that is missing, truncated or not what was written."""


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    names = table.column_names
    pq.write_table(
        table,
        sink,
        compression={n: "none" if n in INCOMPRESSIBLE else COMPRESSION for n in names},
        use_dictionary=[n for n in names if n not in INCOMPRESSIBLE],
        write_page_checksum=True,
    )
    return sink.getvalue()


def decode(data: bytes, name: str, url: str, columns: Sequence[str] | None = None) -> pa.Table:
    """The table in ``data``; a ``LakeObjectError`` naming ``name`` if it is not readable."""
    try:
        return pq.read_table(
            pa.BufferReader(data),
            columns=None if columns is None else list(columns),
            page_checksum_verification=True,
        )
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise LakeObjectError(
            f"object {name} in {url} is damaged ({len(data)} bytes, not readable Parquet: "
            f"{detail}); run `chainprice lake repair --lake {url}`"
        ) from None


def same_content(a: pa.Table, b: pa.Table) -> bool:
    """Equal rows in every column but the volatile ones."""
    keep = [c for c in a.column_names if c not in VOLATILE]
    return a.column_names == b.column_names and a.select(keep).equals(b.select(keep))


def write_object(
    store: ObjectStore, name: str, table: pa.Table, data: bytes | None = None
) -> list[Any]:
    """Create ``name`` holding ``table``; returns the ``[size, sha256]`` now under that name.

    Names are deterministic, so an object may already be there: left by a
    killed run, or written a moment ago by a concurrent writer doing the same
    work. It is kept only if it holds the same rows (timestamps aside);
    anything else - other rows, a damaged file - is replaced, never adopted.
    """
    data = parquet_bytes(table) if data is None else data
    if store.put(name, data, create_only=True):
        return object_info(data)
    try:
        existing = store.get(name)
        if same_content(decode(existing, name, store.url), table):
            return object_info(existing)
    except (ObjectMissingError, LakeObjectError):
        pass
    store.put(name, data)
    return object_info(data)


def stage(store: ObjectStore, published_name: str, table: pa.Table) -> tuple[str, list[Any]]:
    """Write a result under a staged name carrying its digest; returns the name and its info."""
    data = parquet_bytes(table)
    name = versioned(staged(published_name), data)
    return name, write_object(store, name, table, data)


def read_object(
    store: ObjectStore,
    name: str,
    columns: Sequence[str] | None = None,
    sizes: Mapping[str, list[Any]] | None = None,
) -> pa.Table:
    """One listed object; missing, truncated or damaged objects end in an error naming them."""
    try:
        data = store.get(name)
    except ObjectMissingError:
        raise LakeObjectError(
            f"object {name} is listed by the manifest of {store.url} but missing; "
            f"run `chainprice lake repair --lake {store.url}`"
        ) from None
    expected = sizes.get(name) if sizes is not None else None
    if expected is not None and len(data) != expected[0]:
        raise LakeObjectError(
            f"object {name} in {store.url} is {len(data)} bytes, the manifest says "
            f"{expected[0]} (truncated or replaced); "
            f"run `chainprice lake repair --lake {store.url}`"
        )
    return decode(data, name, store.url, columns)


def read_tables(
    store: ObjectStore,
    names: Sequence[str],
    schema: pa.Schema,
    columns: Sequence[str] | None = None,
    sizes: Mapping[str, list[Any]] | None = None,
) -> pa.Table:
    """The rows of ``names`` in order, as one table (an empty one for no names).

    ``sizes`` (the manifest's ``objects``) lets a read refuse an object of the wrong size.
    """
    parts = [read_object(store, n, columns, sizes) for n in names]
    if not parts:
        wanted = schema if columns is None else pa.schema([schema.field(c) for c in columns])
        return wanted.empty_table()
    return pa.concat_tables(parts, promote_options="default")
