"""A DuckDB connection that can read the lake wherever it is, with no download at run time.

DuckDB would fetch its httpfs extension from the internet; the
``duckdb-extension-httpfs`` package ships it for the pinned DuckDB version,
so it is loaded from disk and ``chainprice sql`` works offline and in CI.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import duckdb_extension_httpfs

from chainprice.adapters.storage.base import ObjectStore
from chainprice.adapters.storage.errors import StorageError


def httpfs_extension() -> Path:
    """The httpfs extension file built for the installed DuckDB."""
    path = (
        Path(duckdb_extension_httpfs.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "httpfs.duckdb_extension"
    )
    if not path.is_file():
        raise StorageError(
            f"no httpfs extension for DuckDB {duckdb.__version__} at {path} "
            "(install the duckdb-extension-httpfs release matching duckdb)"
        )
    return path


def connect(store: ObjectStore) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with httpfs loaded and a secret that reaches ``store``.

    Query the lake with ``store.duckdb_path("table/*/*.parquet")`` and
    ``hive_partitioning=true``.
    """
    con = duckdb.connect()
    con.execute(f"LOAD {_literal(str(httpfs_extension()))}")
    secret = store.duckdb_secret()
    if secret:
        params = ", ".join(f"{key} {_literal(value)}" for key, value in secret.items())
        con.execute(f"CREATE SECRET lake ({params})")
    return con


def _literal(value: str | bool) -> str:
    """A SQL literal (DuckDB cannot bind parameters in LOAD or CREATE SECRET)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + value.replace("'", "''") + "'"
