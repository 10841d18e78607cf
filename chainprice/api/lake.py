"""A lake opened for reading: its tables as pyarrow or polars frames, filtered by date or height."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from chainprice.adapters.storage import ObjectStore


class Lake:
    """A lake (a folder, ``gs://bucket/prefix`` or ``s3://bucket/prefix``), read only.

    Every read takes the current manifest, so it sees exactly the objects a
    commit listed, and opens only those that can hold the rows asked for.
    Tables and columns are documented in the README (section "The lake").
    """

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    @property
    def url(self) -> str:
        return self._store.url

    def __repr__(self) -> str:
        return f"Lake({self.url!r})"

    def tables(self) -> list[str]:
        """The names of the lake's tables (every one readable, empty or not)."""
        from chainprice.lake_schema import TABLES

        return list(TABLES)

    def read_arrow(
        self,
        table: str,
        *,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        from_height: int | None = None,
        to_height: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """Rows of ``table`` with ``from_date <= date <= to_date`` and ``from_height <= height
        <= to_height`` (each bound optional), as a pyarrow table with the Hive partition
        columns (``date``, ``kind``) included; ``columns`` picks some columns only."""
        from chainprice.api.values import as_date, as_whole
        from chainprice.lake.frames import RowRange, read_frame
        from chainprice.lake.manifest import load_manifest

        rows = RowRange(
            as_date(from_date, "from_date"),
            as_date(to_date, "to_date"),
            as_whole(from_height, "from_height"),
            as_whole(to_height, "to_height"),
        )
        return read_frame(self._store, load_manifest(self._store), table, rows, columns)

    def read_polars(
        self,
        table: str,
        *,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        from_height: int | None = None,
        to_height: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """``read_arrow`` as a polars DataFrame."""
        import polars as pl

        frame = self.read_arrow(
            table,
            from_date=from_date,
            to_date=to_date,
            from_height=from_height,
            to_height=to_height,
            columns=columns,
        )
        return pl.DataFrame(frame)


def open_lake(
    url: str,
    *,
    endpoint_url: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    region: str | None = None,
    project: str | None = None,
    anonymous: bool = False,
) -> Lake:
    """The lake at ``url``, checked to exist (as ``--lake`` is).

    ``endpoint_url`` points at an S3- or GCS-compatible server (an emulator,
    MinIO); unset options fall back to what the cloud libraries read from the
    environment (``AWS_*``, ``STORAGE_EMULATOR_HOST``, default credentials).
    """
    from chainprice.adapters.storage import StorageConfig, open_store
    from chainprice.core.errors import UsageError

    if not isinstance(url, str):
        raise UsageError(f"a lake URL is a string (a folder, gs://... or s3://...), not {url!r}")

    config = StorageConfig(
        endpoint_url=endpoint_url,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        region=region,
        project=project,
        anonymous=anonymous,
    )
    store = open_store(url, config=config)
    store.check()
    return Lake(store)
