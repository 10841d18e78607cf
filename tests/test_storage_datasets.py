"""Lake objects written through each store, read back by pyarrow datasets and by DuckDB.

The objects are what ingestion writes: ``blocks`` and ``txids`` rows of six
golden blocks around a UTC midnight, built from the engine's parse, named by
lake_schema and stored with ``put``. Readers see Hive partitions from names.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import golden_chain

from chainprice.adapters.storage import ObjectStore, StorageError
from chainprice.adapters.storage.duckdb_conn import connect
from chainprice.core import parse_blocks
from chainprice.core.windows import utc_date
from chainprice.lake_schema import TABLES, block_object, to_table

pytest_plugins = ["tests.emulators"]

HEIGHTS = range(872556, 872562)  # g2_97k: 2024-12-05 starts at 872559
INGESTED_AT = dt.datetime(2024, 12, 6, tzinfo=dt.UTC)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@cache
def lake_objects() -> dict[str, bytes]:
    """Object name -> Parquet bytes, for the blocks and txids tables of HEIGHTS."""
    raw = golden_chain("g2_97k").fetch(HEIGHTS.start, HEIGHTS.stop)
    columns = parse_blocks(raw)
    objects = {}
    for b, (height, data) in enumerate(raw):
        first, end = columns.block_tx_start[b : b + 2]
        n_tx = int(end - first)
        block_hash = columns.block_hash[b][::-1].tobytes().hex()
        day = utc_date(int(columns.block_time[b]))
        txid = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(32), n_tx, [None, pa.py_buffer(columns.txid[first:end].tobytes())]
        )
        txids = to_table(
            "txids",
            {"height": np.full(n_tx, height), "tx_index": np.arange(n_tx), "txid": txid},
        )
        block = {
            "height": height,
            "hash": block_hash,
            "prev_hash": data[4:36][::-1].hex(),
            "time": int(columns.block_time[b]),
            "median_time": None,
            "tx_count": n_tx,
            "size": len(data),
            "n_outputs": 0,
            "ingested_at": INGESTED_AT,
        }
        objects[block_object("txids", day, height, block_hash)] = parquet_bytes(txids)
        objects[block_object("blocks", day, height, block_hash)] = parquet_bytes(
            to_table("blocks", [block])
        )
    return objects


def fill(store: ObjectStore) -> None:
    for name, data in lake_objects().items():
        assert store.put(name, data, create_only=True)


def expected_tx_counts() -> dict[dt.date, int]:
    counts: Counter[dt.date] = Counter()
    for name, data in lake_objects().items():
        if name.startswith("txids/"):
            counts[dt.date.fromisoformat(name.split("/")[1].removeprefix("date="))] += (
                pq.read_metadata(io.BytesIO(data)).num_rows
            )
    return dict(counts)


def test_the_test_data_spans_two_days() -> None:
    assert sorted(expected_tx_counts()) == [dt.date(2024, 12, 4), dt.date(2024, 12, 5)]


def test_duckdb_reads_hive_partitioned_lake(any_store: ObjectStore) -> None:
    fill(any_store)
    con = connect(any_store)
    txids = any_store.duckdb_path("txids/*/*.parquet")
    blocks = any_store.duckdb_path("blocks/*/*.parquet")
    per_day = con.execute(
        f"SELECT date, count(*) FROM read_parquet('{txids}', hive_partitioning=true) "
        "GROUP BY date ORDER BY date"
    ).fetchall()
    assert dict(per_day) == expected_tx_counts()
    joined = con.execute(
        f"SELECT b.height, b.tx_count, count(*), min(t.tx_index), max(t.tx_index) "
        f"FROM read_parquet('{blocks}', hive_partitioning=true) b "
        f"JOIN read_parquet('{txids}', hive_partitioning=true) t USING (height, date) "
        "GROUP BY ALL ORDER BY b.height"
    ).fetchall()
    assert [row[0] for row in joined] == list(HEIGHTS)
    assert all(n == count == last + 1 and first == 0 for _, n, count, first, last in joined)


def test_pyarrow_dataset_reads_lake_objects_with_schema_and_docs(any_store: ObjectStore) -> None:
    fill(any_store)
    fs, base = any_store.arrow_filesystem()
    spec = TABLES["txids"]
    dataset = ds.dataset(
        f"{base}/txids",
        filesystem=fs,
        format="parquet",
        partitioning=ds.partitioning(spec.partitions, flavor="hive"),
    )
    table = dataset.to_table()
    assert table.schema.remove_metadata() == spec.dataset_schema.remove_metadata()
    assert dataset.schema.field("txid").metadata[b"doc"].startswith(b"Transaction id")
    assert table.num_rows == sum(expected_tx_counts().values())
    assert sorted(set(table.column("height").to_pylist())) == list(HEIGHTS)


def test_pyarrow_dataset_writes_through_the_store(any_store: ObjectStore) -> None:
    spec = TABLES["intraday"]
    points = pa.table(
        {
            "height": pa.array([872559, 872560, 872600], pa.int32()),
            "time": pa.array([1733356900, 1733357500, 1733380000], pa.int64()),
            "price": [96_400.5, 96_350.0, 96_500.25],
            "seq": pa.array([0, 1, 2], pa.int32()),
            "date": pa.array([dt.date(2024, 12, 5)] * 2 + [dt.date(2024, 12, 6)], pa.date32()),
        }
    )
    fs, base = any_store.arrow_filesystem()
    ds.write_dataset(
        points,
        f"{base}/intraday",
        filesystem=fs,
        format="parquet",
        partitioning=ds.partitioning(spec.partitions, flavor="hive"),
        basename_template="points{i}.parquet",
    )
    assert any_store.list("intraday/") == [
        "intraday/date=2024-12-05/points0.parquet",
        "intraday/date=2024-12-06/points0.parquet",
    ]
    back = ds.dataset(
        f"{base}/intraday",
        filesystem=fs,
        partitioning=ds.partitioning(spec.partitions, flavor="hive"),
    ).to_table()
    assert back.sort_by("seq").to_pylist() == points.select(back.column_names).to_pylist()


class _QuotedSecretStore:
    """Only what connect() uses: a secret whose values need SQL quoting."""

    def duckdb_secret(self) -> dict[str, str | bool]:
        return {"TYPE": "s3", "KEY_ID": "it's", "SECRET": "a'b", "USE_SSL": False}


def test_connect_quotes_secret_values() -> None:
    con = connect(_QuotedSecretStore())  # type: ignore[arg-type]
    assert con.execute("SELECT name, type FROM duckdb_secrets()").fetchall() == [("lake", "s3")]


def test_connect_without_the_matching_extension_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(duckdb, "__version__", "0.0.1")
    with pytest.raises(StorageError, match=r"no httpfs extension for DuckDB 0\.0\.1"):
        connect(_QuotedSecretStore())  # type: ignore[arg-type]
