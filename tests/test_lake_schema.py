"""The lake's contract: exact column types, docs everywhere, row checks, object names both ways."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainprice import lake_schema
from chainprice.lake_schema import (
    SCHEMA_VERSION,
    SPEND_LOOKBACK,
    TABLES,
    LakeNameError,
    LakeObject,
    LakeSchemaError,
    block_object,
    compacted_object,
    day_price_object,
    exchange_object,
    get_table,
    histogram_object,
    intraday_object,
    mempool_price_object,
    month_prices_object,
    parse_object,
    partition_prefix,
    recent_price_object,
    run_object,
    to_table,
    validate,
)

I32, I64, F64, DATE = pa.int32(), pa.int64(), pa.float64(), pa.date32()
STR, BOOL = pa.string(), pa.bool_()
TS = pa.timestamp("us", tz="UTC")
NULL = "nullable"

# The columns as the design gives them (partition columns included), type and nullability.
EXPECTED: dict[str, dict[str, tuple]] = {
    "blocks": {
        "height": (I32,), "hash": (STR,), "prev_hash": (STR,), "time": (I64,),
        "median_time": (I64, NULL), "tx_count": (I32,), "size": (I64,), "n_outputs": (I32,),
        "ingested_at": (TS,), "date": (DATE,),
    },
    "outputs": {
        "height": (I32,), "tx_index": (I32,), "vout": (pa.int8(),), "value_sats": (I64,),
        "time": (I64,), "funding_height": (I32,), "date": (DATE,),
    },
    "txids": {"height": (I32,), "tx_index": (I32,), "txid": (pa.binary(32),), "date": (DATE,)},
    "prices": {
        "kind": (STR,), "date": (DATE,), "window_rule": (STR,), "start_height": (I32,),
        "end_height": (I32,), "tip_height": (I32,), "rough_price": (I64,), "price": (F64,),
        "canonical_price": (F64, NULL), "canonical_start_height": (I32, NULL),
        "canonical_end_height": (I32, NULL), "canonical_pending": (BOOL,), "n_blocks": (I32,),
        "n_outputs": (I32,), "n_price_points": (I32,), "n_plotted": (I32,), "dev_pct": (F64,),
        "ax_range": (F64, NULL), "confidence": (F64,), "is_valid": (BOOL,),
        "invalid_reason": (STR, NULL), "exchange_price": (F64, NULL), "diff_usd": (F64, NULL),
        "diff_pct": (F64, NULL), "diverges": (BOOL, NULL), "method_version": (STR,),
        "computed_at": (TS,),
    },
    "intraday": {
        "date": (DATE,), "height": (I32,), "time": (I64,), "price": (F64,), "seq": (I32,),
    },
    "exchange_prices": {
        "time": (I64,), "currency": (STR,), "price": (F64,), "source": (STR,), "date": (DATE,),
    },
    "runs": {
        "run_id": (STR,), "job": (STR,), "started_at": (TS,), "finished_at": (TS,),
        "status": (STR,), "tip_height": (I32, NULL), "lake_height": (I32, NULL),
        "lag_blocks": (I32, NULL), "blocks_ingested": (I32,), "retries": (I32,),
        "error": (STR, NULL), "date": (DATE,),
    },
    "histograms": {
        "start_height": (I32,), "end_height": (I32,), "rough_price": (I64,),
        "bins": (pa.list_(pa.int16()),), "bin_btc": (pa.list_(F64),),
        "bin_value": (pa.list_(F64),), "slides": (pa.list_(pa.int16()),),
        "slide_scores": (pa.list_(F64),), "best_slide": (pa.int16(),),
        "round_usd": (pa.list_(I32),), "round_usd_btc": (pa.list_(F64),), "date": (DATE,),
    },
    "mempool_runs": {
        "computed_at": (TS,), "tip_height": (I32,), "window_start": (TS,), "window_end": (TS,),
        "n_received": (I32,), "n_in_window": (I32,), "n_candidates": (I32,),
        "n_fetched": (I32,), "n_gone": (I32,), "date": (DATE,),
    },
    "mempool_points": {
        "computed_at": (TS,), "time": (I64,), "price": (F64,), "seq": (I32,), "date": (DATE,),
    },
    "mempool_state": {
        "txid": (pa.binary(32),), "entry_time": (I64,), "n_inputs": (I32,),
        "n_outputs": (I32,), "flags": (I32,), "value_0": (I64,), "value_1": (I64,),
        "has_parent": (BOOL,), "prev_txids": (pa.list_(pa.binary(32)),), "tip_height": (I32,),
    },
}  # fmt: skip
PARTITIONS = {name: ("date",) for name in EXPECTED} | {
    "prices": ("kind", "date"),
    "mempool_state": (),
}
DAY = dt.date(2024, 6, 1)
HASH = "00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054"


def test_every_table_has_the_designed_columns_and_partitions() -> None:
    assert set(TABLES) == set(EXPECTED)
    for name, table in TABLES.items():
        assert table.name == name
        got = {f.name: (f.type, *((NULL,) if f.nullable else ())) for f in table.dataset_schema}
        assert got == EXPECTED[name], name
        assert table.partition_columns == PARTITIONS[name]
        assert not set(table.partition_columns) & set(table.schema.names)


def test_every_field_and_table_is_documented() -> None:
    for table in TABLES.values():
        assert table.schema.metadata[b"schema_version"] == str(SCHEMA_VERSION).encode()
        assert table.schema.metadata[b"table"] == table.name.encode()
        assert len(table.doc) > 20
        assert table.object_names
        for fld in table.dataset_schema:
            assert len(fld.metadata[b"doc"]) > 10, f"{table.name}.{fld.name}"


def test_describe_lists_every_table_and_column() -> None:
    text = lake_schema.describe()
    for table in TABLES.values():
        assert f"### `{table.name}`" in text
        for fld in table.dataset_schema:
            assert re.search(rf"^\| `{fld.name}` \| {re.escape(str(fld.type))} \|", text, re.M)
    assert f"at most {SPEND_LOOKBACK} blocks back" in text
    assert "One of: `day`, `recent`, `mempool`" in text


def block_row(height: int = 845390, **changes: object) -> dict:
    row = {
        "height": height,
        "hash": HASH,
        "prev_hash": HASH,
        "time": 1717200000,
        "median_time": None,
        "tx_count": 250,
        "size": 120_000,
        "n_outputs": 310,
        "ingested_at": dt.datetime(2024, 6, 2, tzinfo=dt.UTC),
    }
    return row | changes


def test_rows_become_a_table_that_keeps_its_docs_in_parquet() -> None:
    table = to_table("blocks", [block_row(845390), block_row(845391, median_time=1717199000)])
    sink = io.BytesIO()
    pq.write_table(table, sink)
    back = pq.read_table(io.BytesIO(sink.getvalue()))
    assert back.schema.equals(TABLES["blocks"].schema, check_metadata=True)
    assert back.column("median_time").to_pylist() == [None, 1717199000]
    assert back.schema.field("hash").metadata[b"doc"].startswith(b"Block hash")


def test_columns_from_numpy_are_accepted_and_cast() -> None:
    n = 5
    table = to_table(
        "outputs",
        {
            "height": np.full(n, 845390, dtype=np.int64),
            "tx_index": np.array([1, 1, 2, 3, 3]),
            "vout": np.array([0, 1, 0, 0, 1]),
            "value_sats": np.array([1000, 2000, 3000, 4000, 5000], dtype=np.uint64),
            "time": np.full(n, 1717200000),
            "funding_height": np.array([-1, -1, 845390, 845100, 845100]),
        },
    )
    assert table.schema == TABLES["outputs"].schema
    assert table.column("vout").type == pa.int8()


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([block_row(height=None)], "blocks.height: 1 null value"),
        ([block_row(height=2**31)], "blocks.height: values do not fit int32"),
        ([block_row(size="big")], "blocks.size: values do not fit int64"),
        ([{k: v for k, v in block_row().items() if k != "size"}], r"missing columns \['size'\]"),
        ([block_row(date=DAY)], r"unknown columns \['date'\]"),
        ([block_row(845391), block_row(845390)], r"not ordered by \(height\) at row 0"),
    ],
)
def test_bad_rows_name_the_column(rows: list[dict], problem: str) -> None:
    with pytest.raises(LakeSchemaError, match=problem):
        to_table("blocks", rows)


def test_partition_columns_in_a_table_get_a_hint() -> None:
    columns = {name: [] for name in TABLES["intraday"].schema.names} | {"date": []}
    with pytest.raises(LakeSchemaError, match="partition columns belong in the object name"):
        to_table("intraday", columns)


def test_unequal_column_lengths_are_refused() -> None:
    with pytest.raises(LakeSchemaError, match="different lengths"):
        to_table("txids", {"height": [1, 2], "tx_index": [0], "txid": [bytes(32)]})


def test_allowed_values_are_checked() -> None:
    runs = pa.table(
        {
            "run_id": ["r1"],
            "job": ["ingest"],
            "started_at": pa.array([dt.datetime(2024, 6, 1, tzinfo=dt.UTC)], TS),
            "finished_at": pa.array([dt.datetime(2024, 6, 1, 0, 1, tzinfo=dt.UTC)], TS),
            "status": ["failed"],
            "tip_height": pa.array([None], I32),
            "lake_height": pa.array([None], I32),
            "lag_blocks": pa.array([None], I32),
            "blocks_ingested": pa.array([0], I32),
            "retries": pa.array([0], I32),
            "error": ["node unreachable"],
        }
    )
    with pytest.raises(
        LakeSchemaError, match=r"runs.status: \['failed'\] not among \['ok', 'error'\]"
    ):
        validate("runs", runs)
    fixed = runs.set_column(4, "status", pa.array(["error"]))
    assert validate("runs", fixed.select(list(reversed(fixed.column_names)))).schema == (
        TABLES["runs"].schema
    )


def test_validate_names_a_wrong_type() -> None:
    wrong = pa.table({"height": pa.array([1], I64), "tx_index": pa.array([0], I32)})
    wrong = wrong.append_column("txid", pa.array([bytes(32)], pa.binary(32)))
    with pytest.raises(
        LakeSchemaError, match=r"txids\.height: type is int64, the schema says int32"
    ):
        validate("txids", wrong)


def test_unknown_table() -> None:
    with pytest.raises(LakeSchemaError, match="unknown lake table 'trades'"):
        to_table("trades", [])


def test_names_are_exactly_as_designed() -> None:
    at = dt.datetime(2024, 6, 1, 12, 5, 9, tzinfo=dt.UTC)
    assert block_object("outputs", DAY, 845390, HASH) == (
        "outputs/date=2024-06-01/000845390-0000000000000000.parquet"
    )
    assert (
        block_object("txids", DAY, 7, "AB" * 32)
        == "txids/date=2024-06-01/000000007-abababababababab.parquet"
    )
    assert day_price_object(DAY) == "prices/kind=day/date=2024-06-01/price.parquet"
    assert (
        recent_price_object(at, 845500)
        == "prices/kind=recent/date=2024-06-01/tip-000845500.parquet"
    )
    assert (
        mempool_price_object(at)
        == "prices/kind=mempool/date=2024-06-01/at-20240601T120509Z.parquet"
    )
    assert intraday_object(DAY) == "intraday/date=2024-06-01/points.parquet"
    assert histogram_object(DAY) == "histograms/date=2024-06-01/fit.parquet"
    assert (
        exchange_object(DAY, "mempool.space")
        == "exchange_prices/date=2024-06-01/mempool.space.parquet"
    )
    assert (
        run_object(at, "ingest-7f3a") == "runs/date=2024-06-01/20240601T120509Z-ingest-7f3a.parquet"
    )
    assert partition_prefix("prices", DAY, "day") == "prices/kind=day/date=2024-06-01/"  # fmt: skip


def test_times_are_named_by_their_utc_date() -> None:
    late_in_new_york = dt.datetime(2024, 6, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert run_object(late_in_new_york, "r") == "runs/date=2024-06-02/20240602T023000Z-r.parquet"
    with pytest.raises(LakeNameError, match="has no time zone"):
        recent_price_object(dt.datetime(2024, 6, 1), 1)


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: block_object("prices", DAY, 1, HASH), "has no per-block objects"),
        (lambda: block_object("blocks", DAY, 1, "abc"), "is not 64 hex digits"),
        (lambda: block_object("blocks", DAY, -1, HASH), "height -1 is out of range"),
        (lambda: exchange_object(DAY, "api/v1"), "source 'api/v1' cannot be part"),
        (lambda: run_object(dt.datetime(2024, 6, 1, tzinfo=dt.UTC), ""), "run id '' cannot"),
        (lambda: compacted_object("blocks", DAY, []), "nothing to compact"),
        (lambda: compacted_object("blocks", DAY, [intraday_object(DAY)]), "is not a block object"),
    ],
)
def test_names_that_cannot_be_built(build: Callable[[], str], problem: str) -> None:
    with pytest.raises(LakeNameError, match=problem):
        build()


def test_parse_reads_back_what_a_name_holds() -> None:
    obj = parse_object(block_object("blocks", DAY, 845390, HASH))
    assert (obj.kind, obj.table, obj.date, obj.first_height, obj.last_height, obj.hash_prefix) == (
        "block", "blocks", DAY, 845390, 845390, HASH[:16],
    )  # fmt: skip
    recent = parse_object("prices/kind=recent/date=2024-06-01/tip-000845500.parquet")
    assert (recent.kind, recent.partitions, recent.first_height) == (
        "recent_price", {"kind": "recent", "date": "2024-06-01"}, 845500,
    )  # fmt: skip
    run = parse_object("runs/date=2024-06-01/20240601T120509Z-ingest-7f3a.parquet")
    assert run.run_id == "ingest-7f3a"
    assert run.stamp == dt.datetime(2024, 6, 1, 12, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "name",
    [
        "blocks/date=2024-02-30/000000001-0000000000000000.parquet",  # no such day
        "runs/date=2024-06-02/20240601T120509Z-r.parquet",  # time on another day
        "blocks/date=2024-06-01/day-9-3-0123456789abcdef.parquet",  # last below first
        "blocks/date=2024-06-01/day-007-9-0123456789abcdef.parquet",  # not as built
        "blocks/date=2024-06-01/1-0000000000000000.parquet",
        "prices/kind=hour/date=2024-06-01/price.parquet",
        "prices/kind=day/month=2024-13/days-0123456789abcdef.parquet",  # no such month
        "prices/kind=day/month=2024-06/days-0123456789abcde.parquet",  # digest too short
        "prices/kind=recent/month=2024-06/days-0123456789abcdef.parquet",  # only day prices
        "_manifest.json",
        "",
    ],
)
def test_names_the_lake_never_builds_are_refused(name: str) -> None:
    with pytest.raises(LakeNameError):
        parse_object(name)


def test_compacted_names_depend_on_the_member_set_only() -> None:
    members = [block_object("outputs", DAY, h, f"{h:064x}") for h in (845390, 845391, 845392)]
    name = compacted_object("outputs", DAY, members)
    assert name == compacted_object("outputs", DAY, reversed(members))
    obj = parse_object(name)
    assert (obj.kind, obj.first_height, obj.last_height) == ("compacted", 845390, 845392)
    assert name != compacted_object("outputs", DAY, members[:2])
    other_fork = [*members[:2], block_object("outputs", DAY, 845392, "ff" * 32)]
    assert name != compacted_object("outputs", DAY, other_fork)
    with_late_block = compacted_object(
        "outputs", DAY, [name, block_object("outputs", DAY, 845393, "ee" * 32)]
    )
    assert parse_object(with_late_block).last_height == 845393
    with pytest.raises(LakeNameError, match="is not a block object"):
        compacted_object("txids", DAY, members)


def test_month_names_depend_on_the_member_set_only() -> None:
    members = [day_price_object(DAY + dt.timedelta(days=i)) for i in range(3)]
    name = month_prices_object("2024-06", members)
    assert name == month_prices_object("2024-06", reversed(members))
    assert name != month_prices_object("2024-06", members[:2])
    obj = parse_object(name)
    assert (obj.kind, obj.table, obj.month, obj.date) == ("month_prices", "prices", "2024-06", None)
    assert obj.partitions == {"kind": "day", "month": "2024-06"}


def test_a_month_object_holds_each_date_once_in_order() -> None:
    from chainprice.lake.compaction import validate_month

    row = {name: None for name in get_table("prices").schema.names}
    with pytest.raises(LakeSchemaError, match="no date32 column"):
        validate_month(pa.table({"price": [1.0]}))
    dates = pa.array([DAY, DAY], pa.date32())
    with pytest.raises(LakeSchemaError, match="not unique"):
        validate_month(pa.table({**{k: [v, v] for k, v in row.items()}, "date": dates}))


days = st.dates(min_value=dt.date(2009, 1, 3), max_value=dt.date(2200, 12, 31))
heights = st.integers(min_value=0, max_value=999_999_999)
hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)
labels = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True)
times = st.datetimes(
    min_value=dt.datetime(2009, 1, 3), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
).map(lambda t: t.replace(microsecond=0))


def rebuild(obj: LakeObject) -> str:
    """The name the builders give to what ``obj`` says (compacted names need their members)."""
    assert obj.kind != "compacted"
    if obj.kind == "block":
        assert obj.hash_prefix is not None and obj.first_height is not None
        return block_object(obj.table, obj.date, obj.first_height, obj.hash_prefix.ljust(64, "0"))
    if obj.kind == "recent_price":
        assert obj.first_height is not None
        return recent_price_object(
            dt.datetime.combine(obj.date, dt.time(), dt.UTC), obj.first_height
        )
    if obj.kind in ("mempool_price", "run"):
        assert obj.stamp is not None
        if obj.kind == "run":
            assert obj.run_id is not None
            return run_object(obj.stamp, obj.run_id)
        return mempool_price_object(obj.stamp)
    if obj.kind == "exchange":
        assert obj.source is not None
        return exchange_object(obj.date, obj.source)
    builders = {"day_price": day_price_object, "histogram": histogram_object}
    return builders.get(obj.kind, intraday_object)(obj.date)


any_name = st.one_of(
    st.builds(block_object, st.sampled_from(("blocks", "outputs", "txids")), days, heights, hashes),
    st.builds(recent_price_object, times, heights),
    st.builds(mempool_price_object, times),
    st.builds(run_object, times, labels),
    st.builds(exchange_object, days, labels),
    st.builds(day_price_object, days),
    st.builds(intraday_object, days),
    st.builds(histogram_object, days),
)


@given(st.sampled_from(("blocks", "outputs", "txids")), days, heights, hashes)
def test_block_names_round_trip(table: str, day: dt.date, height: int, block_hash: str) -> None:
    obj = parse_object(block_object(table, day, height, block_hash))
    assert (obj.table, obj.date, obj.first_height, obj.hash_prefix) == (
        table, day, height, block_hash[:16],
    )  # fmt: skip


@given(st.dates(min_value=dt.date(2009, 1, 1)), st.lists(days.map(day_price_object), min_size=1))
def test_month_names_round_trip(month: dt.date, members: list[str]) -> None:
    name = month_prices_object(month.strftime("%Y-%m"), members)
    obj = parse_object(name)
    assert obj.month == month.strftime("%Y-%m")
    assert month_prices_object(obj.month, members) == name


@given(any_name)
def test_every_built_name_parses_and_rebuilds(name: str) -> None:
    assert rebuild(parse_object(name)) == name


@given(any_name, st.integers(min_value=0, max_value=80), st.text(max_size=3))
def test_edited_names_parse_to_what_they_say_or_fail_cleanly(name: str, at: int, text: str) -> None:
    """Parsing never crashes, and never accepts a name the builders would write differently."""
    edited = name[:at] + text + name[at + len(text) :]
    try:
        obj = parse_object(edited)
    except LakeNameError:
        return
    assert rebuild(obj) == edited


@given(st.lists(st.tuples(heights, hashes), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_compacted_names_round_trip(blocks: list[tuple[int, str]]) -> None:
    members = [block_object("txids", DAY, h, block_hash) for h, block_hash in blocks]
    obj = parse_object(compacted_object("txids", DAY, members))
    assert (obj.first_height, obj.last_height) == (min(blocks)[0], max(blocks)[0])
