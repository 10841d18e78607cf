"""The backfill fan-out: chunks of days written by worker processes at once, in any order,
redelivered, doubled, or killed with SIGKILL and redelivered, end as one sequential backfill
leaves the lake, row for row, on a local folder and on fake-gcs-server; each raw block is read
from the node once over the whole fan-out."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from lake_rows import lake_frames
from polars.testing import assert_frame_equal
from test_lake_concurrency import Lakes

from chainprice.adapters.node import NodeChain, NodeConfig, open_source
from chainprice.core import WindowError, parse_block
from chainprice.lake.backfill import height_range
from chainprice.lake.check import check_lake
from chainprice.lake.fanout import Chunk, plan_chunks
from chainprice.lake.manifest import load_manifest
from chainprice.lake.segments import segments
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

pytest_plugins = ["tests.emulators"]

ROOT = Path(__file__).resolve().parent.parent
FIRST, LAST = dt.date(2024, 6, 1), dt.date(2024, 6, 3)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    chain = ServedChain.from_spec(replace(compact_day(), txs_per_block=40, days=3))
    with NodeSim(chain, datadir=tmp_path_factory.mktemp("node")) as n:
        yield n


@pytest.fixture(scope="module")
def chunks(node) -> list[Chunk]:
    chain = NodeChain(open_source(node.url, "rest", config=NodeConfig()), verify=parse_block)
    return plan_chunks(chain, FIRST, LAST, days_per_chunk=1)


def assert_same_rows(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    for table, frame in want.items():
        assert_frame_equal(got[table], frame, check_row_order=True)


@pytest.fixture(scope="module")
def sequential(node, tmp_path_factory, request) -> dict[str, pl.DataFrame]:
    """One sequential ``chainprice backfill`` of the days (the CLI, one process)."""
    lakes = Lakes("local", tmp_path_factory.mktemp("sequential"), request)
    url = lakes.new("lake")
    args = ["backfill", "--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    lakes.run(url, [*args, "--prices-url", node.esplora_url], node)
    rows = lake_frames(lakes.open(url))
    assert all(len(rows[t]) for t in rows), {t: len(f) for t, f in rows.items()}
    return rows


def start(lakes: Lakes, url: str, node, chunk: Chunk) -> subprocess.Popen:
    argv = [sys.executable, "tests/fanout_worker.py", url, node.url, node.esplora_url]
    return subprocess.Popen(
        [*argv, json.dumps(chunk.to_json())],
        cwd=ROOT,
        env=lakes.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_all(lakes: Lakes, url: str, node, chunks: list[Chunk]) -> list[dict]:
    procs = [start(lakes, url, node, c) for c in chunks]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        reports.append(json.loads(out))
    return reports


def raw_blocks(node) -> Counter[str]:
    """REST requests for a block's raw bytes, by path (txid lists are ``notxdetails`` JSON)."""
    return Counter(
        r.target
        for r in node.request_log
        if r.target.startswith("/rest/block/") and r.target.endswith(".bin")
    )


def assert_one_clean_run(store, chunks: list[Chunk]) -> None:
    report = check_lake(store)
    assert report.ok, report.problems
    manifest = load_manifest(store)
    assert manifest.islands == []
    assert (manifest.first_height, manifest.tip_height) == (
        chunks[0].first_height,
        chunks[-1].last_height,
    )


@pytest.mark.parametrize("kind", ["local", "gcs"])
def test_workers_in_any_order_equal_a_sequential_backfill_and_read_each_block_once(
    kind, node, chunks, sequential, tmp_path, request
) -> None:
    assert len(chunks) == 3
    lakes = Lakes(kind, tmp_path, request)
    url = lakes.new("lake")
    node.clear_log()
    reports = run_all(lakes, url, node, chunks[::-1])
    fetched = raw_blocks(node)
    blocks = chunks[-1].last_height - chunks[0].first_height + 1
    assert len(fetched) == blocks and set(fetched.values()) == {1}
    assert sum(r["blocks"] for r in reports) == blocks
    priced = {d for r in reports for d in r["days"]}  # by whichever worker completed it
    assert priced == {(FIRST + dt.timedelta(days=i)).isoformat() for i in range(3)}
    store = lakes.open(url)
    assert_one_clean_run(store, chunks)
    assert_same_rows(lake_frames(store), sequential)

    node.clear_log()
    (again,) = run_all(lakes, url, node, [chunks[1]])  # a redelivered message
    assert again == {"blocks": 0, "days": []}
    assert not raw_blocks(node)
    assert_same_rows(lake_frames(store), sequential)


def test_a_killed_worker_redelivered_beside_a_doubled_chunk_ends_as_one_run_repair_or_not(
    node, chunks, sequential, tmp_path, request
) -> None:
    lakes = Lakes("local", tmp_path, request)
    url = lakes.new("lake")
    store = lakes.open(url)
    victim = start(lakes, url, node, chunks[1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and load_manifest(store).tip_height is None:
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = load_manifest(store)
    assert killed_at.tip_height is not None and killed_at.tip_height < chunks[1].last_height
    run_all(lakes, url, node, [chunks[2]])
    with_island = load_manifest(store)
    assert with_island.islands and check_lake(store).ok
    lakes.run(url, ["lake", "repair"])
    repaired = load_manifest(store)  # holds what was committed, and whole blocks the kill left
    assert len(segments(repaired)) == len(segments(with_island)) == 2
    assert all(
        new.first == old.first and new.last >= old.last and new.prev_hash == old.prev_hash
        for old, new in zip(segments(with_island), segments(repaired), strict=True)
    )
    assert check_lake(store).ok
    run_all(lakes, url, node, [chunks[1], chunks[0], chunks[1]])
    assert_one_clean_run(store, chunks)
    assert_same_rows(lake_frames(store), sequential)


def test_earlier_days_backfilled_in_parallel_below_a_lake_end_as_one_backfill(
    node, chunks, sequential, tmp_path, request
) -> None:
    lakes = Lakes("local", tmp_path, request)
    url = lakes.new("lake")
    prices = ["--prices-url", node.esplora_url]
    lakes.run(
        url, ["backfill", "--from", LAST.isoformat(), "--to", LAST.isoformat(), *prices], node
    )
    store = lakes.open(url)
    assert load_manifest(store).first_height > chunks[1].first_height
    earlier = ["--from", FIRST.isoformat(), "--to", (LAST - dt.timedelta(days=1)).isoformat()]
    lakes.run(url, ["backfill", *earlier, "--parallel", "2", *prices], node)
    assert_one_clean_run(store, chunks)
    assert_same_rows(lake_frames(store), sequential)


def test_chunks_cover_the_sequential_heights_exactly(node, chunks) -> None:
    chain = NodeChain(open_source(node.url, "rest", config=NodeConfig()))
    assert height_range(chain, FIRST, LAST) == (chunks[0].first_height, chunks[-1].last_height)
    assert [c.first_date for c in chunks] == ["2024-06-01", "2024-06-02", "2024-06-03"]
    for below, above in itertools.pairwise(chunks):
        assert above.first_height == below.last_height + 1
    assert all(Chunk.from_json(json.loads(json.dumps(c.to_json()))) == c for c in chunks)


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ([], "is a JSON object with"),
        (
            {
                "first_height": 5,
                "last_height": 2,
                "first_date": "2024-06-01",
                "last_date": "2024-06-01",
            },
            "reversed",
        ),
        (
            {
                "first_height": "5",
                "last_height": 9,
                "first_date": "2024-06-01",
                "last_date": "2024-06-01",
            },
            "whole numbers",
        ),
        (
            {"first_height": 5, "last_height": 9, "first_date": "June", "last_date": "2024-06-01"},
            "YYYY-MM-DD",
        ),
    ],
)
def test_a_bad_chunk_message_is_refused_in_one_line(message, problem) -> None:
    with pytest.raises(WindowError, match=problem) as caught:
        Chunk.from_json(message)
    assert "\n" not in str(caught.value)
