"""Filling in the exchange comparison later is a write path like the others: ingests running
at once fill each day once, and ingests killed with SIGKILL while they fill, then run again,
leave the lake that a run with the price API up all along leaves."""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from cli_procs import finish, start_cli
from lake_rows import lake_rows

from chainprice.adapters.storage import open_store
from chainprice.lake.check import check_lake
from chainprice.lake.sql_views import lake_connection
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

FIRST, LAST = "2024-06-01", "2024-06-03"
KILLS = 8


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    chain = ServedChain.from_spec(replace(compact_day(), days=3))
    with NodeSim(chain, datadir=tmp_path_factory.mktemp("node")) as n:
        yield n


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def start(node, lake: Path, *args: str, prices_url: str) -> subprocess.Popen:
    node_args = ["--node", node.url, "--source", "rest", "--prices-url", prices_url]
    return start_cli(*args, "--lake", str(lake), *node_args)


def backfill_while_the_api_is_down(node, lake: Path) -> None:
    finish(
        start(node, lake, "backfill", "--from", FIRST, "--to", LAST, prices_url=closed_port_url())
    )
    con = lake_connection(open_store(str(lake)))
    days = con.sql("SELECT price, exchange_price FROM prices WHERE kind = 'day'").fetchall()
    assert len(days) == 3 and all(price > 0 and exchange is None for price, exchange in days)


@pytest.fixture(scope="module")
def clean(node, tmp_path_factory) -> dict[str, list]:
    """The rows of a lake whose backfill and ingest had the price API all along."""
    lake = tmp_path_factory.mktemp("clean") / "lake"
    finish(
        start(node, lake, "backfill", "--from", FIRST, "--to", LAST, prices_url=node.esplora_url)
    )
    finish(start(node, lake, "ingest", prices_url=node.esplora_url))
    store = open_store(str(lake))
    con = lake_connection(store)
    days = con.sql("SELECT exchange_price FROM prices WHERE kind = 'day'").fetchall()
    assert len(days) == 3 and all(exchange is not None for (exchange,) in days)
    return lake_rows(store)


def test_ingests_at_once_fill_each_day_once(node, clean, tmp_path) -> None:
    lake = tmp_path / "lake"
    backfill_while_the_api_is_down(node, lake)
    finish(*[start(node, lake, "ingest", prices_url=node.esplora_url) for _ in range(3)])
    assert lake_rows(open_store(str(lake))) == clean
    assert check_lake(open_store(str(lake))).ok


def test_ingests_killed_while_filling_end_as_a_clean_run(node, clean, tmp_path) -> None:
    lake = tmp_path / "lake"
    backfill_while_the_api_is_down(node, lake)
    shutil.copytree(lake, tmp_path / "timed")
    began = time.perf_counter()
    finish(start(node, tmp_path / "timed", "ingest", prices_url=node.esplora_url))
    seconds = time.perf_counter() - began  # kills land across a whole filling run
    rng = random.Random(14)
    for _ in range(KILLS):
        procs = [start(node, lake, "ingest", prices_url=node.esplora_url) for _ in range(2)]
        time.sleep(rng.uniform(0.2, 1.0) * seconds)
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=300)
    finish(start(node, lake, "ingest", prices_url=node.esplora_url))
    assert lake_rows(open_store(str(lake))) == clean
    assert check_lake(open_store(str(lake))).ok
