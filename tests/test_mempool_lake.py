"""The mempool series end to end: simulated node over HTTP -> estimate -> lake, and the CLI.

Also the accuracy checks against the planted price and against the confirmed
price of the blocks that later confirm the same transactions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from chainprice.adapters.node import NodeConfig, open_source
from chainprice.adapters.node.mempool_tracker import MempoolTracker
from chainprice.adapters.storage import ObjectStore
from chainprice.cli.main import main
from chainprice.core import parse_block, price_blocks
from chainprice.core.mempool import mempool_price
from chainprice.core.mempool_txs import parse_transactions
from chainprice.core.windows import Window
from chainprice.lake.manifest import load_manifest
from chainprice.lake.mempool_series import (
    MempoolRun,
    load_state,
    read_mempool_points,
    state_table,
    state_txs,
    write_mempool_run,
)
from chainprice.lake.publication import sweep
from chainprice.lake.sql_views import lake_connection
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.nodesim.moving_mempool import MempoolFlow, MovingMempool
from chainprice.simchain import SimulatedChain, compact_day, generate_chain, generate_mempool

pytest_plugins = ["tests.emulators"]
ROOT = Path(__file__).resolve().parent.parent
AUTH = ["--rpc-user", "u", "--rpc-password", "p"]


@pytest.fixture(scope="module")
def sim() -> SimulatedChain:
    return generate_chain(compact_day())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def moving(sim: SimulatedChain) -> Iterator[tuple[NodeSim, MovingMempool, Clock]]:
    served = ServedChain.from_simulated(sim, 2500)
    clock = Clock()
    flow = MempoolFlow(rate=20.0, max_size=10_000, seed=5)
    mover = MovingMempool(served, sim, flow, clock=clock)
    with NodeSim(served, rpc_user="u", rpc_password="p") as node:
        yield node, mover, clock


def _tx_fetches(node: NodeSim) -> int:
    return sum(r.target == "getrawtransaction" for r in node.request_log)


def test_state_round_trips_through_its_table(sim: SimulatedChain) -> None:
    pool = generate_mempool(sim, 400)
    txs = parse_transactions(pool.txs, pool.times, has_parent=np.arange(400) % 7 == 0)
    back = state_txs(state_table(txs, 99))
    for name in ("txid", "time", "n_in", "n_out", "flags", "value", "has_parent", "in_start"):
        assert np.array_equal(getattr(back, name), getattr(txs, name)), name
    assert back.prev_txid.tobytes() == txs.prev_txid.tobytes()


def test_cli_json_then_a_stateless_run_fetches_only_new_transactions(
    moving, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, mover, clock = moving
    lake = str(tmp_path / "lake")
    args = ["mempool", "--node", node.url, *AUTH, "--lake", lake, "--json"]
    args += ["--prices-url", node.url + "/api"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["kind"] == "mempool" and first["unconfirmed"] is True
    assert first["n_fetched"] == first["n_received"] == 2500
    for field in ("price", "rough_price", "confidence", "n_in_window", "n_candidates"):
        assert first[field] is not None, field
    assert first["window_end"] > first["window_start"]
    assert first["exchange_price"] is not None and first["diverges"] is False
    planted = mover.sim.planted_price(mover.sim_time())
    assert abs(first["price"] / planted - 1) < 0.01
    assert first["is_valid"] is True and first["confidence"] >= 0.9

    clock.now += 30.0
    mover.advance()
    node.clear_log()
    store = load_manifest_store(lake)
    known = set(load_state(store, load_manifest(store)).txids_hex())
    new = {e.tx.txid.hex() for e in node.chain.mempool} - known
    time.sleep(1.0)  # a new second: a new object name
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["n_fetched"] == _tx_fetches(node) == len(new) > 0
    con = lake_connection(load_manifest_store(lake))
    assert con.sql("SELECT count(*) FROM prices WHERE kind = 'mempool'").fetchone() == (2,)
    assert con.sql("SELECT count(*) FROM mempool_runs").fetchone() == (2,)
    (points,) = con.sql("SELECT count(*) FROM mempool_points").fetchone()
    assert points == first["n_plotted"] + second["n_plotted"]
    (stored,) = con.sql("SELECT count(*) FROM mempool_state").fetchone()
    assert stored == second["n_in_window"]


def test_a_stateless_run_reads_the_windows_blocks_from_the_lake(
    moving, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same-window rule's confirmed parents come from the lake's txids table when it holds
    the blocks stamped within the window: no block is fetched, and the estimate is the same."""
    from chainprice.adapters.node import NodeChain
    from chainprice.lake.ingest import ingest

    node, _, _ = moving
    lake = str(tmp_path / "lake")
    source = open_source(node.url, "rpc", config=NodeConfig(rpc_user="u", rpc_password="p"))
    tip = node.chain.tip
    store = load_manifest_store(lake)
    assert ingest(store, NodeChain(source, verify=parse_block), start_height=tip - 60).blocks == 61
    args = ["mempool", "--node", node.url, *AUTH, "--json"]

    def block_fetches() -> int:
        return sum(r.target == "getblock" for r in node.request_log)

    node.clear_log()
    assert main(args) == 0
    from_node = json.loads(capsys.readouterr().out)
    assert block_fetches() > 10  # the blocks stamped within the three hours
    node.clear_log()
    assert main([*args, "--lake", lake]) == 0
    from_lake = json.loads(capsys.readouterr().out)
    assert block_fetches() == 0
    for field in ("price", "rough_price", "n_in_window", "n_candidates", "confidence"):
        assert from_lake[field] == from_node[field], field


def load_manifest_store(path: str) -> ObjectStore:
    from chainprice.adapters.storage import open_store

    return open_store(path)


def test_series_on_cloud_stores_with_retention(moving, any_store: ObjectStore) -> None:
    node, mover, clock = moving
    source = open_source(node.url, "rpc", config=NodeConfig(rpc_user="u", rpc_password="p"))
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    new: set[str] = set()
    for k, at in enumerate((now - dt.timedelta(days=8), now)):
        tracker = MempoolTracker(source, state=load_state(any_store, load_manifest(any_store)))
        snap = tracker.refresh()
        result = mempool_price(snap.txs, snap.mempool_txids, snap.confirmed, snap.tip)
        run = MempoolRun(snap.n_fetched, snap.n_gone)
        write_mempool_run(any_store, result, snap.txs, computed_at=at, run=run)
        assert snap.n_fetched == (2500 if k == 0 else len(new))
        clock.now += 10.0
        mover.advance()
        new = {e.tx.txid.hex() for e in node.chain.mempool} - set(snap.txs.txids_hex())
    manifest = load_manifest(any_store)
    assert len(manifest.names("prices")) == 2
    assert manifest.names("mempool_points") == [
        "mempool_points/date=2026-03-01/at-20260301T120000Z.parquet"
    ]
    expired = "mempool_points/date=2026-02-21/at-20260221T120000Z.parquet"
    assert expired in manifest.retired  # deleted once the grace period has passed
    sweep(any_store, manifest, grace=0)
    assert not any_store.exists(expired)
    points = read_mempool_points(any_store, manifest)
    assert points.num_rows == result.points.size
    assert manifest.latest["mempool"]["price"] == result.price
    assert load_state(any_store, manifest).size == snap.txs.size


def test_mempool_estimate_agrees_with_the_blocks_that_confirm_it(sim: SimulatedChain) -> None:
    served = ServedChain.from_simulated(sim, 6000)
    mover = MovingMempool(served, sim, MempoolFlow(rate=0.0, block_txs=1500), clock=lambda: 0.0)
    with NodeSim(served, rpc_user="u", rpc_password="p") as node:
        source = open_source(node.url, "rpc", config=NodeConfig(rpc_user="u", rpc_password="p"))
        snap = MempoolTracker(source).refresh()
        estimate = mempool_price(snap.txs, snap.mempool_txids, snap.confirmed, snap.tip)
        start = served.tip + 1
        while served.mempool:
            mover.mine(mover.sim_time())
        blocks = [
            parse_block(h, source.raw_block(source.block_hash(h)))
            for h in range(start, served.tip + 1)
        ]
    confirmed = price_blocks(blocks, Window(start, served.tip + 1, served.tip), "blocks")
    planted = sim.planted_price(mover.sim_time())
    assert abs(estimate.price / planted - 1) < 0.01
    assert abs(estimate.price / confirmed.price - 1) < 0.01


def _start_node_process(*extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainprice.nodesim", "--port", "0", *AUTH, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    url = line.split("url=")[1].split()[0]
    return proc, url


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_watch_refreshes_cheaply_and_ends_cleanly_on_ctrl_c() -> None:
    node, url = _start_node_process("--mempool-size", "2000", "--mempool-rate", "5")
    try:
        watch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainprice.cli.main",
                "mempool",
                "--node",
                url,
                *AUTH,
                "--watch",
                "1",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = watch.stdout.readline()
        assert "UNCONFIRMED" in first
        watch.stdout.readline()
        began, cpu = time.monotonic(), _cpu_seconds(watch.pid)
        for _ in range(4):
            assert "UNCONFIRMED" in watch.stdout.readline()
        share = (_cpu_seconds(watch.pid) - cpu) / (time.monotonic() - began)
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
    finally:
        node.send_signal(signal.SIGINT)
        node.communicate(timeout=30)
    assert watch.returncode == 130
    assert "Traceback" not in err
    assert share < 0.10


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--mempool-size", "0"), "the mempool is empty"),
        (("--mempool-size", "0", "--blocksonly"), "localrelay=false"),
    ],
)
def test_empty_and_blocksonly_nodes_end_with_one_line(extra: tuple[str, ...], message: str) -> None:
    node, url = _start_node_process(*extra)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chainprice.cli.main", "mempool", "--node", url, *AUTH],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        node.send_signal(signal.SIGINT)
        node.communicate(timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr
