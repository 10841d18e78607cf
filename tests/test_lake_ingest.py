"""Ingestion into a local lake: prices from the lake equal prices from the blocks, exactly;
re-runs add nothing; a reorg replaces the orphaned rows; finished days are compacted."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import expected, golden_chain
from file_node import FileNode

from chainprice.adapters.storage import open_store
from chainprice.core import ChainPriceError, price_day, price_recent
from chainprice.lake.ingest import ingest
from chainprice.lake.manifest import load_manifest
from chainprice.lake.sql_views import lake_connection
from chainprice.lake.window_prices import day_price, recent_price

CHAINS = sorted(expected()["chains"])


def node_of(name: str) -> FileNode:
    lo, hi = expected()["chains"][name]["heights"]
    return FileNode.from_files(golden_chain(name), lo, hi)


def day_of(name: str) -> dt.date:
    return dt.date.fromisoformat(expected()["chains"][name]["days"][0]["date"])


def assert_same(got, want) -> None:
    assert (got.start, got.end, got.tip, got.rough, got.price) == (
        want.start,
        want.end,
        want.tip,
        want.rough,
        want.price,
    )
    assert (got.n_outputs, got.n_price_points, got.dev_pct) == (
        want.n_outputs,
        want.n_price_points,
        want.dev_pct,
    )
    np.testing.assert_array_equal(got.points.price, want.points.price)
    assert got.canonical_price == want.canonical_price
    assert got.canonical_pending == want.canonical_pending


@pytest.mark.parametrize("name", CHAINS)
def test_lake_prices_equal_block_prices(tmp_path, name: str) -> None:
    node, store = node_of(name), open_store(str(tmp_path))
    lo = expected()["chains"][name]["heights"][0]
    report = ingest(store, node, start_height=lo)
    assert report.blocks == node.block_count() - lo + 1
    assert report.days_priced == [day_of(name)]
    manifest = load_manifest(store)
    want = price_day(node, lambda a, b: golden_chain(name).fetch(a, b), day_of(name))
    assert_same(day_price(store, manifest, day_of(name)), want)
    assert_same(
        recent_price(store, manifest),
        price_recent(node, lambda a, b: golden_chain(name).fetch(a, b)),
    )
    assert sorted(node.reads) == list(range(lo, node.block_count() + 1))


def test_rerun_reads_nothing_and_duplicates_nothing(tmp_path) -> None:
    node, store = node_of("g1_42k"), open_store(str(tmp_path))
    ingest(store, node, start_height=834370)
    before = sorted(store.list())
    reads = len(node.reads)
    report = ingest(store, node)
    assert (report.blocks, report.days_priced, len(node.reads)) == (0, [], reads)
    assert sorted(store.list()) == before
    con = lake_connection(store)
    rows = con.sql("SELECT count(*), count(DISTINCT (height, tx_index, vout)) FROM outputs")
    total, distinct = rows.fetchone()
    assert total == distinct > 0


def test_ingest_in_steps_equals_one_run(tmp_path) -> None:
    node = node_of("g2_97k")
    whole, steps = open_store(str(tmp_path / "a")), open_store(str(tmp_path / "b"))
    ingest(whole, node, start_height=872530)
    for stop in (872560, 872561, 872640, 872699, None):
        ingest(steps, node, start_height=872530, stop_height=stop)
    query = "SELECT * FROM outputs ORDER BY height, tx_index, vout"
    assert (
        lake_connection(whole).sql(query).fetchall() == lake_connection(steps).sql(query).fetchall()
    )
    day = day_of("g2_97k")
    assert_same(
        day_price(steps, load_manifest(steps), day), day_price(whole, load_manifest(whole), day)
    )


def test_finished_days_are_compacted_to_one_object_per_table(tmp_path) -> None:
    node, store = node_of("g3_150k"), open_store(str(tmp_path))
    for stop in range(885212, node.block_count() + 1, 7):
        ingest(store, node, start_height=885202, stop_height=stop, recent=False)
    ingest(store, node)
    manifest = load_manifest(store)
    day = day_of("g3_150k").isoformat()
    for table in ("blocks", "outputs", "txids"):
        in_day = [n for n in manifest.names(table) if f"date={day}/" in n]
        assert len(in_day) == 1 and "/day-" in in_day[0]
        published = [n for n in manifest.names(table) if not n.startswith("staging/")]
        assert sorted(store.list(f"{table}/")) == sorted(published)


def test_reorg_replaces_orphaned_blocks_and_reprices(tmp_path) -> None:
    first, store = node_of("g1_42k"), open_store(str(tmp_path))
    fork_at = 834500  # the new branch skips two blocks of the old one: the day's window changes
    lake_tip = fork_at + 10  # a reorg within the depth the lake follows (12 blocks)
    ingest(store, first, start_height=834370, stop_height=lake_tip)
    replacement = {h: first.blocks[h + 2] for h in range(fork_at, first.block_count() - 1)}
    second = first.fork(fork_at, replacement)
    report = ingest(store, second)
    assert report.reorg_depth == lake_tip - fork_at + 1
    assert sorted(set(second.reads)) == list(range(fork_at, second.block_count() + 1))
    manifest = load_manifest(store)
    assert manifest.tip_hash == second.block_hash(second.block_count())
    day = day_of("g1_42k")
    want = price_day(second, lambda a, b: [_raw(second, h) for h in range(a, b)], day)
    assert_same(day_price(store, manifest, day), want)
    heights = lake_connection(store).sql("SELECT height FROM blocks ORDER BY height").fetchall()
    assert [h for (h,) in heights] == list(range(834370, second.block_count() + 1))


def _raw(node: FileNode, height: int):
    from chainprice.core import RawBlock

    return RawBlock(height, node.blocks[height])


def test_a_window_below_the_lake_is_refused(tmp_path) -> None:
    node, store = node_of("g1_42k"), open_store(str(tmp_path))
    ingest(store, node, start_height=834450)
    with pytest.raises(ChainPriceError, match=r"not all in the lake|no block"):
        day_price(store, load_manifest(store), day_of("g1_42k"))
