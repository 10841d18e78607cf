"""DuckDB over the lake: one view per table, over the files the manifest lists.

Views use the manifest's explicit file lists rather than globs, so a query
never sees an object a writer has not committed yet, and the same lists
work where globs cannot (plain HTTP, browsers).
"""

from __future__ import annotations

import duckdb

from adapters.storage import ObjectStore
from adapters.storage.duckdb_conn import connect
from lake.manifest import load_manifest
from lake_schema import TABLES


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_connection(store: ObjectStore) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per lake table (empty tables get an empty view)."""
    con = connect(store)
    manifest = load_manifest(store)
    for name, table in TABLES.items():
        files = manifest.names(name)
        if files:
            paths = ", ".join(_quote(store.duckdb_path(f)) for f in files)
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM "
                f"read_parquet([{paths}], hive_partitioning = true, union_by_name = true)"
            )
        else:
            con.register(name, table.dataset_schema.empty_table())
    return con
