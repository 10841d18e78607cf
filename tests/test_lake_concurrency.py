"""Many writers at once: concurrent ingests and backfills of overlapping and disjoint ranges,
on a local folder, fake-gcs-server and moto, end as one sequential run; so do concurrent
writers killed with SIGKILL again and again and then run once more."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from lake_rows import lake_rows

from chainprice.adapters.storage import open_store
from chainprice.lake.check import check_lake
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

pytest_plugins = ["tests.emulators"]

ROOT = Path(__file__).resolve().parent.parent
KILLS = {"local": 20, "gcs": 8, "s3": 8}


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    chain = ServedChain.from_spec(replace(compact_day(), days=3))
    with NodeSim(chain, datadir=tmp_path_factory.mktemp("node")) as n:
        yield n


def writers(node) -> list[list[str]]:
    first = node.chain.start_height
    node_args = ["--node", node.url, "--source", "rest", "--prices-url", node.esplora_url]
    return [
        ["ingest", *node_args],
        ["backfill", "--from", "2024-06-01", "--to", "2024-06-01", *node_args],
        ["ingest", "--start-height", str(first), *node_args],
        ["backfill", "--from", "2024-06-02", "--to", "2024-06-03", *node_args],
    ]


def seed(node) -> list[str]:
    first = node.chain.start_height
    return ["ingest", "--start-height", str(first), "--stop-height", str(first + 40)]


class Lakes:
    """Where a test's lakes live, and the environment their CLI processes need."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind, self.tmp_path = kind, tmp_path
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.emulator = None
        if kind != "local":
            self.emulator = request.getfixturevalue(f"{kind}_emulator")
            if kind == "gcs":
                self.env["STORAGE_EMULATOR_HOST"] = self.emulator.endpoint
            else:
                self.env |= {
                    "AWS_ENDPOINT_URL": self.emulator.endpoint,
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1",
                }

    def new(self, name: str) -> str:
        if self.emulator is None:
            return str(self.tmp_path / name)
        return self.emulator.store_url(self.emulator.new_bucket())

    def open(self, url: str):
        if self.emulator is None:
            return open_store(url)
        return open_store(url, config=self.emulator.config)

    def start(self, url: str, args: list[str], node=None) -> subprocess.Popen:
        full = [*args, "--lake", url]
        if node is not None and "--node" not in args:
            full += ["--node", node.url, "--source", "rest"]
        return subprocess.Popen(
            [sys.executable, "-m", "chainprice.cli.main", *full],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run(self, url: str, args: list[str], node=None) -> None:
        proc = self.start(url, args, node)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (args, err.decode())


def assert_whole(store) -> None:
    report = check_lake(store)
    assert report.ok, report.problems
    assert report.objects > 100


@pytest.fixture(scope="module")
def sequential(node, tmp_path_factory, request) -> dict[str, list]:
    """The rows one sequential run of the writers leaves (the same on every store)."""
    lakes = Lakes("local", tmp_path_factory.mktemp("sequential"), request)
    url = lakes.new("lake")
    lakes.run(url, seed(node), node)
    for args in writers(node):
        lakes.run(url, args)
    rows = lake_rows(lakes.open(url))
    assert all(rows[t] for t in ("blocks", "outputs", "txids", "prices", "intraday"))
    return rows


def run_all(lakes: Lakes, url: str, node) -> None:
    procs = [lakes.start(url, args) for args in writers(node)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()


@pytest.mark.parametrize("kind", ["local", "gcs", "s3"])
def test_concurrent_writers_end_as_a_sequential_run(
    kind, node, sequential, tmp_path, request
) -> None:
    lakes = Lakes(kind, tmp_path, request)
    want = sequential
    concurrent = lakes.new("concurrent")
    lakes.run(concurrent, seed(node), node)
    procs = [lakes.start(concurrent, args) for args in writers(node)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    store = lakes.open(concurrent)
    assert lake_rows(store) == want
    assert_whole(store)

    killed = lakes.new("killed")
    lakes.run(killed, seed(node), node)
    rng = random.Random(8)
    kills = 0
    while kills < KILLS[kind]:
        procs = [lakes.start(killed, args) for args in writers(node)]
        time.sleep(rng.uniform(1.0, 3.5))
        for proc in rng.sample(procs, rng.randint(2, len(procs))):
            proc.send_signal(signal.SIGKILL)
            kills += 1
        for proc in procs:
            proc.communicate(timeout=300)
    run_all(lakes, killed, node)  # the re-run, all writers at once again
    store = lakes.open(killed)
    assert lake_rows(store) == want
    assert_whole(store)
