"""The lake against damage and bad nodes: each case ends as it should, with no row lost.

A node behind the lake, a node of another network, a fork deeper than the
limit, a deleted or truncated manifest, a truncated or deleted object, and
leftover objects of other contents; readers holding an older manifest while
writers publish days; globs of the table folders during and after publication.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import expected, golden_chain
from file_node import FileNode
from lake_rows import lake_rows

from chainprice.adapters.node import NodeChain, open_source
from chainprice.adapters.storage import open_store
from chainprice.core import parse_block
from chainprice.lake.chain_check import ChainRefused
from chainprice.lake.check import check_lake
from chainprice.lake.ingest import ingest
from chainprice.lake.manifest import MANIFEST, LakeDamagedError, load_manifest
from chainprice.lake.parquet_io import LakeObjectError
from chainprice.lake.reader import output_rows
from chainprice.lake.repair import rebuild, rollback
from chainprice.lake_schema import parse_object
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

G1 = "g1_42k"


def node_of(name: str = G1) -> FileNode:
    lo, hi = expected()["chains"][name]["heights"]
    return FileNode.from_files(golden_chain(name), lo, hi)


def first_of(name: str = G1) -> int:
    return expected()["chains"][name]["heights"][0]


@pytest.fixture
def lake(tmp_path):
    store = open_store(str(tmp_path / "lake"))
    ingest(store, node_of(), start_height=first_of())
    return store


def test_a_node_behind_the_lake_changes_nothing(lake) -> None:
    node = node_of()
    behind = FileNode({h: b for h, b in node.blocks.items() if h <= node.block_count() - 5})
    before, version = lake_rows(lake), load_manifest(lake).version
    report = ingest(lake, behind)
    assert report.node_behind and report.blocks == 0 and report.reorg_depth == 0
    assert lake_rows(lake) == before and load_manifest(lake).version == version


def test_a_fork_deeper_than_the_limit_is_refused_naming_its_height(lake) -> None:
    node = node_of()
    tip = node.block_count()
    fork_at = tip - 20
    other = node.fork(fork_at, {h: node.blocks[h - 50] for h in range(fork_at, tip + 2)})
    before = lake_rows(lake)
    with pytest.raises(ChainRefused, match=rf"below height {tip - 12 + 1}.*nothing was changed"):
        ingest(lake, other)
    assert lake_rows(lake) == before
    assert ingest(lake, other, settings=_depth(25)).reorg_depth == tip - fork_at + 1


def _depth(n: int):
    from chainprice.lake.ingest import LakeSettings

    return LakeSettings(max_reorg_depth=n)


def test_a_chain_sharing_no_block_with_the_lake_is_refused(lake) -> None:
    node = node_of()
    other = FileNode({h: _renonced(raw) for h, raw in node.blocks.items()})  # every hash differs
    with pytest.raises(ChainRefused, match="shares no block"):
        ingest(lake, other, settings=_depth(500))


def _renonced(raw: bytes) -> bytes:
    changed = bytearray(raw)
    changed[76] ^= 1
    return bytes(changed)


def test_a_node_of_another_network_is_refused(tmp_path) -> None:
    chain = ServedChain.from_spec(compact_day())
    with NodeSim(chain, datadir=tmp_path / "node") as node:
        client = NodeChain(open_source(node.url, "rest"), verify=parse_block)
        store = open_store(str(tmp_path / "lake"))
        ingest(store, client, start_height=chain.start_height, stop_height=chain.start_height + 30)
        assert load_manifest(store).network["chain"] == "main"
        chain.network = "regtest"
        before = lake_rows(store)
        with pytest.raises(ChainRefused, match=r"another network \(regtest\).*\(main\)"):
            ingest(store, NodeChain(open_source(node.url, "rest"), verify=parse_block))
        assert lake_rows(store) == before


@pytest.mark.parametrize("damage", ["deleted", "truncated", "emptied", "reset"])
def test_a_lost_manifest_stops_every_command_until_repaired(lake, damage) -> None:
    before = lake_rows(lake)
    path = Path(lake.root) / MANIFEST
    if damage == "deleted":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:500])
    elif damage == "emptied":
        path.write_text('{"schema_version": 2}')
    else:
        oldest = sorted((Path(lake.root) / "manifests").iterdir())[0]
        shutil.copy(oldest, path)
    with pytest.raises(LakeDamagedError, match="lake repair"):
        if damage == "reset":
            ingest(lake, node_of())
        else:
            load_manifest(lake)
    rebuild(lake)
    assert lake_rows(lake) == before
    assert check_lake(lake).ok
    assert ingest(lake, node_of()).blocks == 0


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_a_damaged_object_is_named_and_repaired_from_the_node(lake, damage) -> None:
    before = lake_rows(lake)
    manifest = load_manifest(lake)
    victim = next(n for n in manifest.names("outputs") if parse_object(n).staged)
    held = parse_object(victim)
    path = Path(lake.root) / victim
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
    else:
        path.unlink()
    report = check_lake(lake)
    assert not report.ok and victim in report.problems[0]
    with pytest.raises(LakeObjectError, match=victim.replace("=", ".")):
        output_rows(lake, manifest, held.first_height, held.first_height + 3)
    with pytest.raises(LakeDamagedError, match="with the node options"):
        rebuild(lake)
    node = node_of()
    repaired = rebuild(lake, node)
    assert repaired.reread == list(range(held.first_height, held.last_height + 1))
    assert node.reads == repaired.reread
    assert lake_rows(lake) == before
    assert check_lake(lake).ok


def test_rollback_restores_an_earlier_manifest(lake) -> None:
    node = node_of()
    tip = node.block_count()
    small = open_store(str(Path(lake.root).parent / "small"))
    ingest(small, node, start_height=first_of(), stop_height=tip - 30)
    want, version = lake_rows(small), load_manifest(small).version
    ingest(small, node)
    rollback(small, version)
    assert lake_rows(small) == want
    assert load_manifest(small).tip_height < tip
    ingest(small, node)
    assert lake_rows(small) == lake_rows(lake)
    assert want["blocks"] == lake_rows(small)["blocks"][: len(want["blocks"])]


def test_leftovers_of_other_content_are_replaced_not_adopted(tmp_path) -> None:
    node, first = node_of(), first_of()
    later = first + 40
    clean = open_store(str(tmp_path / "clean"))
    ingest(clean, node, start_height=later)
    other = open_store(str(tmp_path / "other"))  # started lower: other funding heights
    ingest(other, node, start_height=first)
    fresh = open_store(str(tmp_path / "fresh"))
    ingest(fresh, node, start_height=later, stop_height=later)
    copied = 0
    for name in other.list("staging/"):
        if "/date=" in name and not fresh.exists(name):
            fresh.put(name, other.get(name))  # leftovers of an uncommitted run
            copied += 1
    assert copied > 100
    ingest(fresh, node)
    assert lake_rows(fresh) == lake_rows(clean)
    assert lake_rows(fresh)["outputs"] != lake_rows(other)["outputs"]


def test_readers_holding_an_old_manifest_never_fail_while_days_are_published(tmp_path) -> None:
    name = "g3_150k"
    node, first = node_of(name), first_of(name)
    store = open_store(str(tmp_path / "lake"))
    ingest(store, node, start_height=first, stop_height=first + 150)
    held = load_manifest(store)
    middle = (held.first_height + held.tip_height) // 2  # blocks of the day to be published
    day = max(held.days) if held.days else None
    failures, reads = [], 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        from chainprice.lake.reader import output_rows

        while not done.is_set() or reads < 1000:
            try:
                rows = output_rows(store, held, middle, middle + 9)
                assert rows.size > 0
            except Exception as exc:  # any failure counts
                failures.append(exc)
            reads += 1

    thread = threading.Thread(target=reader)
    thread.start()
    for stop in (first + 190, node.block_count()):
        ingest(store, node, stop_height=stop)
    done.set()
    thread.join()
    assert reads >= 1000 and failures == []
    assert any("/day-" in n for n in load_manifest(store).names("outputs"))
    assert day is None or day in load_manifest(store).days


def test_globs_of_table_folders_see_each_finished_day_once(tmp_path) -> None:
    name = "g3_150k"
    node, first = node_of(name), first_of(name)
    store = open_store(str(tmp_path / "lake"))
    for stop in (*range(first + 100, node.block_count(), 45), node.block_count()):
        ingest(store, node, start_height=first, stop_height=stop)
        manifest = load_manifest(store)
        published = {n.split("/")[1] for n in manifest.names("blocks") if "/day-" in n}
        if not published:
            continue
        root = Path(store.root).as_posix()
        globbed = duckdb.sql(
            f"SELECT date::VARCHAR, count(*) FROM read_parquet('{root}/blocks/*/*.parquet', "
            "hive_partitioning = true) GROUP BY date ORDER BY date"
        ).fetchall()
        listed = duckdb.sql(
            "SELECT date::VARCHAR, count(*) FROM read_parquet(["
            + ", ".join(f"'{root}/{n}'" for n in manifest.names("blocks"))
            + "], hive_partitioning = true) GROUP BY date ORDER BY date"
        ).fetchall()
        days = {p.removeprefix("date=") for p in published}
        assert globbed == [row for row in listed if row[0] in days]
    assert any("/day-" in n for n in load_manifest(store).names("blocks"))
