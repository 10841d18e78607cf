"""Objects written one per run (the run log, the mempool estimates and their run rows) are
merged into one object per finished UTC day by ``ingest``: ingests at once and ingests killed
with SIGKILL leave the same rows in one object a day, and a repair made while the merge's
members are still in the store lists each row once."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_procs import finish, start_cli

from chainprice.adapters.storage import open_store
from chainprice.lake.check import check_lake
from chainprice.lake.manifest import MANIFEST, commit, load_manifest
from chainprice.lake.parquet_io import read_object, write_object
from chainprice.lake.runs import RunRow, record_run
from chainprice.lake.sql_views import lake_connection
from chainprice.lake_schema import mempool_price_object, parse_object, to_table
from chainprice.lake_schema.naming import mempool_run_object
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

DAYS = (dt.date(2026, 11, 28), dt.date(2026, 11, 29))
PER_DAY = 6
KILLS = 6


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with NodeSim(ServedChain.from_spec(compact_day()), datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


def cli(node, lake: Path, *args: str) -> subprocess.Popen:
    prices = [] if args[0] == "lake" else ["--prices-url", node.esplora_url]
    return start_cli(*args, "--lake", str(lake), *prices, "--node", node.url, "--source", "rest")


def seed_series(store) -> None:
    """Two past days of runs as the mempool job and the run log write them: one object each."""
    manifest = load_manifest(store)
    price_name = next(n for n in manifest.names("prices") if parse_object(n).kind == "day_price")
    (day_row,) = read_object(store, price_name, None, manifest.objects).to_pylist()
    written = {}
    for day in DAYS:
        for i in range(PER_DAY):
            at = dt.datetime.combine(day, dt.time(i * 4, 7, i), dt.UTC)
            price = to_table("prices", [day_row | {"computed_at": at, "price": 60_000.0 + i}])
            written[mempool_price_object(at)] = price
            run = {
                "computed_at": at,
                "tip_height": day_row["tip_height"],
                "window_start": at - dt.timedelta(hours=3),
                "window_end": at,
                "n_received": 5_000 + i,
                "n_in_window": 4_000,
                "n_candidates": 3_000,
                "n_fetched": 100 * i,
                "n_gone": i,
            }
            written[mempool_run_object(at)] = to_table("mempool_runs", [run])
            finished = at + dt.timedelta(seconds=2)
            record_run(store, RunRow(f"r{i}", "mempool", at, finished, "ok", 1, 1, 0, 0, None))
    infos = {name: write_object(store, name, data) for name, data in written.items()}

    def add(m) -> None:
        for name, info in infos.items():
            m.add(name, info)

    commit(store, [add])


def series_rows(lake: Path) -> dict[str, list]:
    con = lake_connection(open_store(str(lake)))
    since = f"DATE '{DAYS[0]}'"
    until = f"DATE '{DAYS[-1]}'"
    queries = {
        "prices": "SELECT price, computed_at FROM prices WHERE kind = 'mempool' ORDER BY 2",
        "mempool_runs": "SELECT * FROM mempool_runs ORDER BY computed_at",
        "runs": f"SELECT run_id, job, started_at, status FROM runs "
        f"WHERE date BETWEEN {since} AND {until} ORDER BY started_at",
    }
    return {table: con.sql(query).pl().rows() for table, query in queries.items()}


def objects_a_day(lake: Path) -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for name in load_manifest(open_store(str(lake))).objects:
        obj = parse_object(name)
        if obj.date in DAYS and obj.kind in ("mempool_price", "mempool_run", "run"):
            counts[(obj.kind, obj.date)] = counts.get((obj.kind, obj.date), 0) + 1
    return counts


def test_finished_days_merge_once_under_concurrent_and_killed_ingests(node, tmp_path) -> None:
    lake = tmp_path / "lake"
    finish(cli(node, lake, "backfill", "--from", "2024-06-01", "--to", "2024-06-01"))
    seed_series(open_store(str(lake)))
    before = series_rows(lake)
    assert [len(before[t]) for t in before] == [len(DAYS) * PER_DAY] * 3
    assert set(objects_a_day(lake).values()) == {PER_DAY}

    rng = random.Random(18)
    for _ in range(KILLS):
        procs = [cli(node, lake, "ingest") for _ in range(2)]
        time.sleep(rng.uniform(1.0, 6.0))
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=300)
    finish(*[cli(node, lake, "ingest") for _ in range(3)])
    assert series_rows(lake) == before
    assert objects_a_day(lake) == {
        (kind, day): 1 for kind in ("mempool_price", "mempool_run", "run") for day in DAYS
    }
    assert check_lake(open_store(str(lake))).ok

    # The merged days' members are still in the store (deleted after the grace period): a
    # repair from the objects must list each row once.
    (lake / MANIFEST).unlink()
    finish(cli(node, lake, "lake", "repair"))
    assert series_rows(lake) == before
    assert objects_a_day(lake) == {
        (kind, day): 1 for kind in ("mempool_price", "mempool_run", "run") for day in DAYS
    }
