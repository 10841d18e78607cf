"""A backfill killed with SIGKILL at random moments, then re-run, leaves the lake a clean run
leaves, row for row; and a re-run of a finished backfill fetches nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lake_rows import lake_rows

from chainprice.adapters.storage import open_store
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

ROOT = Path(__file__).resolve().parent.parent
FIRST, LAST = "2024-06-01", "2024-06-01"
KILLS = 6


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with NodeSim(ServedChain.from_spec(compact_day()), datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


def backfill(node, lake: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "chainprice.cli.main", "backfill", "--lake", str(lake)]
    argv += ["--from", FIRST, "--to", LAST, "--node", node.url, "--source", "rest"]
    argv += ["--prices-url", node.esplora_url]
    return subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )


def finish(node, lake: Path) -> str:
    proc = backfill(node, lake)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def rows(lake: Path) -> dict[str, list]:
    return lake_rows(open_store(str(lake)))


def test_killed_backfills_end_like_a_clean_one(node, tmp_path) -> None:
    clean = tmp_path / "clean"
    finish(node, clean)
    want = rows(clean)
    assert all(want[t] for t in ("blocks", "outputs", "txids", "prices", "intraday"))

    killed = tmp_path / "killed"
    rng = random.Random(11)
    for _ in range(KILLS):
        proc = backfill(node, killed)
        time.sleep(rng.uniform(1.0, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    node.clear_log()
    finish(node, killed)
    assert rows(killed) == want
    results = (
        "prices/",
        "intraday/",
        "staging/prices/",
        "staging/intraday/",
        "manifests/",
        "runs/",
    )
    listed = open_store(str(killed))
    assert sorted(n for n in listed.list() if not n.startswith(results)) == sorted(
        n for n in open_store(str(clean)).list() if not n.startswith(results)
    )


def test_rerun_of_a_finished_backfill_fetches_no_block(node, tmp_path) -> None:
    lake = tmp_path / "lake"
    node.clear_log()
    finish(node, lake)
    fetched = [r.target for r in node.request_log if "/rest/block/" in r.target]
    assert len(fetched) == len(set(fetched)) > 100
    node.clear_log()
    out = finish(node, lake)
    assert "ingested 0 blocks" in out
    assert not [r for r in node.request_log if "/rest/block/" in r.target]
