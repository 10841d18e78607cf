"""Block runs in the manifest: chunks committed in any order join into one run when they meet
and link by hash; a chunk that does not link, or an append that does not continue the top
run, is a conflict; ``lake check`` finds heights the runs and the objects disagree on; a reader
racing a new lake's first commit reads it."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import pytest

from chainprice.adapters.storage import open_store
from chainprice.lake.changes import add_blocks, create, unwind
from chainprice.lake.check import coverage_problems
from chainprice.lake.manifest import CommitConflict, Manifest, commit, encode, load_manifest
from chainprice.lake.segments import Segment, covering, segments, split
from chainprice.lake_schema import block_object, parse_object, staged
from chainprice.lake_schema.naming import PER_BLOCK_TABLES

DAY = dt.date(2024, 6, 1)


def block_hash(height: int, fork: str = "") -> str:
    return hashlib.sha256(f"{fork}{height}".encode()).hexdigest()


def chunk(first: int, last: int, *, anywhere: bool = True, fork: str = ""):
    objects = {
        staged(block_object(t, DAY, h, block_hash(h, fork))): [1, "0" * 64]
        for t in PER_BLOCK_TABLES
        for h in range(first, last + 1)
    }
    return add_blocks(
        first, block_hash(first - 1), block_hash(last, fork), objects, {}, anywhere=anywhere
    )


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_chunks_in_any_order_end_as_one_run(order) -> None:
    parts = [(100, 135), (136, 170), (171, 199)]
    manifest = Manifest()
    for i in order:
        chunk(*parts[i])(manifest)
        assert coverage_problems(manifest) == []
    assert segments(manifest) == [Segment(100, 199, block_hash(99), block_hash(199))]
    assert manifest.islands == []
    assert (manifest.first_height, manifest.tip_height) == (100, 199)
    assert len(manifest.objects) == 100 * len(PER_BLOCK_TABLES)


def test_an_island_below_the_top_run_is_kept_apart_until_the_gap_fills() -> None:
    manifest = Manifest()
    chunk(200, 249)(manifest)
    chunk(100, 149)(manifest)
    assert manifest.islands == [[100, 149, block_hash(99), block_hash(149)]]
    assert (manifest.first_height, manifest.tip_height) == (200, 249)
    assert split(manifest, 90, 260) == [
        (90, 99, False),
        (100, 149, True),
        (150, 199, False),
        (200, 249, True),
        (250, 260, False),
    ]
    assert covering(manifest, 120, 140) == segments(manifest)[0]
    assert covering(manifest, 140, 210) is None
    before = encode(manifest)
    chunk(100, 149)(manifest)  # a redelivered chunk
    assert encode(manifest) == before
    chunk(150, 199)(manifest)
    assert segments(manifest) == [Segment(100, 249, block_hash(99), block_hash(249))]


def test_a_chunk_that_does_not_link_to_the_block_below_is_a_conflict() -> None:
    manifest = Manifest()
    chunk(100, 149, fork="other chain")(manifest)
    with pytest.raises(CommitConflict, match="block 150 does not follow the lake's block 149"):
        chunk(150, 199)(manifest)


def test_another_block_at_a_held_height_is_a_conflict() -> None:
    manifest = Manifest()
    chunk(100, 149)(manifest)
    with pytest.raises(CommitConflict, match="another block at height 140"):
        chunk(140, 160, fork="other chain")(manifest)


def test_ingest_appends_only_to_the_top_run() -> None:
    manifest = Manifest()
    chunk(200, 249)(manifest)
    chunk(100, 149)(manifest)
    with pytest.raises(CommitConflict, match="do not continue"):
        chunk(150, 160, anywhere=False)(manifest)
    chunk(250, 260, anywhere=False)(manifest)
    assert manifest.tip_height == 260


def test_a_reorg_unwinds_the_top_run_and_keeps_the_islands() -> None:
    manifest = Manifest()
    chunk(200, 249)(manifest)
    chunk(100, 149)(manifest)
    unwind(240, block_hash(249), block_hash(239))(manifest)
    assert segments(manifest) == [
        Segment(100, 149, block_hash(99), block_hash(149)),
        Segment(200, 239, block_hash(199), block_hash(239)),
    ]
    assert coverage_problems(manifest) == []


def test_lake_check_names_heights_without_objects_and_objects_outside_the_runs() -> None:
    manifest = Manifest()
    chunk(100, 149)(manifest)
    manifest.retire([n for n in manifest.names("outputs") if parse_object(n).first_height == 120])
    manifest.add(staged(block_object("txids", DAY, 300, block_hash(300))), [1, "0" * 64])
    assert coverage_problems(manifest) == [
        "outputs: no object holds blocks 120..120 of the lake",
        "txids: objects hold blocks 300..300 outside the lake's runs",
    ]


class FirstCommitMeanwhile:
    """A store on which another writer's first commit lands between a reader's manifest read
    and its listing (workers starting at once on an empty lake)."""

    def __init__(self, store) -> None:
        self.store, self.pending = store, True

    def get_versioned(self, name: str):
        if self.pending:
            self.pending = False
            commit(self.store, [create({"chain": "regtest"})])
            return None
        return self.store.get_versioned(name)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def test_a_first_commit_landing_during_a_read_is_read_not_called_damage(tmp_path) -> None:
    store = open_store(str(tmp_path / "lake"))
    manifest = load_manifest(FirstCommitMeanwhile(store))
    assert (manifest.version, manifest.network) == (1, {"chain": "regtest"})
