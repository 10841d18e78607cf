"""DuckDB over the lake: one view per table, over the files the manifest lists.

Views use the manifest's explicit file lists rather than globs, so a query
never sees an object a writer has not committed yet, and the same lists
work where globs cannot (plain HTTP, browsers). A table with a missing or
truncated object gets no view (and a warning naming the object), so queries
of the other tables still work.
"""

from __future__ import annotations

import sys

import duckdb

from chainprice.adapters.storage import ObjectStore
from chainprice.adapters.storage.duckdb_conn import connect
from chainprice.lake.manifest import Manifest, load_manifest
from chainprice.lake_schema import TABLES, parse_object


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_source(store: ObjectStore, table: str, files: list[str]) -> str:
    """A query over ``files`` giving ``table``'s columns (stored, then Hive partitions).

    Month objects (``month=YYYY-MM/``, the date a column) and day objects (``date=``
    in the name) have different Hive keys, which one ``read_parquet`` refuses: each
    layout gets its own scan, unioned by name.
    """
    layouts: dict[bool, list[str]] = {}
    for name in files:
        layouts.setdefault("month" in parse_object(name).partitions, []).append(name)
    scans = []
    for monthly, names in sorted(layouts.items()):
        paths = ", ".join(_quote(store.duckdb_path(f)) for f in names)
        scan = f"read_parquet([{paths}], hive_partitioning = true, union_by_name = true)"
        scans.append(f"SELECT * {'EXCLUDE (month) ' if monthly else ''}FROM {scan}")
    columns = ", ".join(f'"{c}"' for c in TABLES[table].dataset_schema.names)
    return f"SELECT {columns} FROM ({' UNION ALL BY NAME '.join(scans)})"


def damaged_objects(store: ObjectStore, manifest: Manifest) -> dict[str, str]:
    """Listed object -> what is wrong with it (missing, or not the size written)."""
    present = {info.name: info.size for info in store.list_details("")}
    wrong = {}
    for name, (size, _) in manifest.objects.items():
        if name not in present:
            wrong[name] = "missing"
        elif present[name] != size:
            wrong[name] = f"{present[name]} bytes, {size} were written"
    return wrong


def lake_connection(store: ObjectStore) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per intact lake table (empty tables get an empty view)."""
    con = connect(store)
    manifest = load_manifest(store)
    wrong = damaged_objects(store, manifest)
    for name, table in TABLES.items():
        files = manifest.names(name)
        bad = [f for f in files if f in wrong]
        if bad:
            print(
                f"chainprice: table {name} is unavailable: object {bad[0]} is {wrong[bad[0]]} "
                f"(run `chainprice lake check --lake {store.url}`)",
                file=sys.stderr,
            )
        elif files:
            con.execute(f"CREATE VIEW {name} AS {table_source(store, name, files)}")
        else:
            con.register(name, table.dataset_schema.empty_table())
    return con
