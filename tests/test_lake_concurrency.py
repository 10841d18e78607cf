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

from adapters.storage import open_store
from lake.check import check_lake
from nodesim import NodeSim, ServedChain
from simchain import compact_day

pytest_plugins = ["tests.emulators"]

ROOT = Path(__file__).resolve().parent.parent
KILLS = 20


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
            [sys.executable, "-m", "cli.main", *full],
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


@pytest.mark.parametrize("kind", ["local", "gcs", "s3"])
def test_concurrent_writers_end_as_a_sequential_run(kind, node, tmp_path, request) -> None:
    lakes = Lakes(kind, tmp_path, request)
    sequential, concurrent = lakes.new("sequential"), lakes.new("concurrent")
    for url in (sequential, concurrent):
        lakes.run(url, seed(node), node)
    for args in writers(node):
        lakes.run(sequential, args)
    want = lake_rows(lakes.open(sequential))
    assert all(want[t] for t in ("blocks", "outputs", "txids", "prices", "intraday"))

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
    while kills < KILLS:
        procs = [lakes.start(killed, args) for args in writers(node)]
        time.sleep(rng.uniform(0.8, 4.0))
        for proc in rng.sample(procs, rng.randint(1, len(procs))):
            proc.send_signal(signal.SIGKILL)
            kills += 1
        for proc in procs:
            proc.communicate(timeout=300)
    for args in writers(node):
        lakes.run(killed, args)
    store = lakes.open(killed)
    assert lake_rows(store) == want
    assert_whole(store)
