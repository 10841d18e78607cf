"""Month compaction of the day prices, on a simulated chain across a month's end (May 30 to
June 1, 2024): the rows are those of the lake without it, readers and repair see each day
once while the replaced objects wait out the grace, the sweep deletes them, and concurrent
writers merging the same month end with one month object."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from lake_rows import lake_rows

from chainprice.adapters.exchange import ExchangePrices
from chainprice.adapters.node import NodeChain, NodeConfig, open_source
from chainprice.adapters.storage import open_store
from chainprice.lake import ingest as ingest_module
from chainprice.lake.check import check_lake
from chainprice.lake.exchange_rates import LakeExchange
from chainprice.lake.ingest import LakeSettings, ingest
from chainprice.lake.manifest import load_manifest
from chainprice.lake.publication import sweep
from chainprice.lake.repair import rebuild
from chainprice.lake_schema import parse_object
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

ROOT = Path(__file__).resolve().parent.parent
MAY_DAYS = {dt.date(2024, 5, 30), dt.date(2024, 5, 31)}


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    spec = replace(compact_day(), start_date=dt.date(2024, 5, 30), days=3)
    with NodeSim(ServedChain.from_spec(spec), datadir=tmp_path_factory.mktemp("node")) as n:
        yield n


def ingest_into(folder: Path, node, grace: float = 3600.0) -> None:
    store = open_store(str(folder))
    chain = NodeChain(open_source(node.url, "rest", config=NodeConfig()))
    exchange = LakeExchange(store, ExchangePrices(node.esplora_url))
    settings = LakeSettings(grace_seconds=grace)
    ingest(store, chain, start_height=node.chain.start_height, exchange=exchange, settings=settings)


@pytest.fixture(scope="module")
def uncompacted(node, tmp_path_factory) -> Path:
    """The lake as ingest left it before compaction existed: one object per finished day."""
    folder = tmp_path_factory.mktemp("uncompacted") / "lake"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_module, "compact_months", lambda store, manifest, commit, r: manifest)
        ingest_into(folder, node)
    return folder


def day_prices(store) -> dict[str, list[str]]:
    """Listed day price objects by kind (``day_price`` or ``month_prices``)."""
    found: dict[str, list[str]] = {}
    for name in load_manifest(store).names("prices"):
        obj = parse_object(name)
        if obj.kind in ("day_price", "month_prices"):
            found.setdefault(obj.kind, []).append(name)
    return found


def test_the_uncompacted_lake_has_may_in_day_objects(uncompacted) -> None:
    store = open_store(str(uncompacted))
    days = {parse_object(n).date for n in day_prices(store)["day_price"] if "staging/" not in n}
    assert days >= MAY_DAYS | {dt.date(2024, 6, 1)}  # May is finished: a June day is published


def test_compaction_keeps_rows_repair_and_sweep(node, uncompacted, tmp_path) -> None:
    want = lake_rows(open_store(str(uncompacted)))
    folder = tmp_path / "lake"
    ingest_into(folder, node)
    store = open_store(str(folder))

    kinds = day_prices(store)
    (month,) = kinds["month_prices"]
    assert month.startswith("prices/kind=day/month=2024-05/days-")
    assert not [n for n in kinds["day_price"] if parse_object(n).date in MAY_DAYS]
    manifest = load_manifest(store)
    replaced = sorted(
        n for n in manifest.retired if parse_object(n).kind == "day_price" and "staging/" not in n
    )
    assert {parse_object(n).date for n in replaced} == MAY_DAYS
    assert all(store.exists(n) for n in replaced)  # kept for readers of older manifests
    for day in MAY_DAYS:
        assert month in manifest.days[day.isoformat()]["objects"]
    assert lake_rows(store) == want
    assert check_lake(store).ok

    rebuild(store)  # the replaced objects are still there: each day is listed once
    assert lake_rows(store) == want
    assert day_prices(store)["month_prices"] == [month]
    assert check_lake(store).ok

    deleted, _ = sweep(store, load_manifest(store), grace=0)
    assert deleted >= len(replaced)
    assert not any(store.exists(n) for n in replaced)
    assert lake_rows(store) == want
    assert check_lake(store).ok

    rows = duckdb.sql(  # a direct reader of the month objects: the date is a column
        f"SELECT date, price FROM read_parquet('{folder}/prices/kind=day/month=*/*.parquet') "
        "ORDER BY date"
    ).fetchall()
    assert [r[0] for r in rows] == sorted(MAY_DAYS)

    ingest_into(folder, node)  # nothing new: the month is not merged again
    assert day_prices(store)["month_prices"] == [month]
    assert lake_rows(store) == want


def test_concurrent_writers_merge_the_month_once(node, uncompacted, tmp_path) -> None:
    want = lake_rows(open_store(str(uncompacted)))
    folder = tmp_path / "lake"
    shutil.copytree(uncompacted, folder)
    args = ["--lake", str(folder), "--node", node.url, "--source", "rest"]
    args += ["--prices-url", node.esplora_url]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "chainprice.cli.main", "ingest", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    store = open_store(str(folder))
    assert len(day_prices(store)["month_prices"]) == 1
    assert lake_rows(store) == want
    assert check_lake(store).ok
