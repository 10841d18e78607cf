"""``import chainprice``: the public API against the CLI on the same inputs, over real HTTP to the
simulated node, a lake on disk and in the storage emulators: equal results to the last bit, the
CLI's error lines, only the manifest's objects of a range opened, and nothing else exported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import chainprice
from chainprice.cli.main import main
from chainprice.lake.frames import RowRange, selected_objects
from chainprice.lake.manifest import load_manifest
from chainprice.lake.sql_views import lake_connection
from chainprice.lake_schema import parse_object
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain

pytest_plugins = ["tests.emulators"]

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2024, 6, 1)
CREDENTIALS = ("--rpc-user", "u", "--rpc-password", "p")
SECRET = "s3cr3t-pw"
HEAVY = ("numpy", "numba", "pyarrow", "polars", "duckdb", "requests", "msgspec")


@pytest.fixture(scope="module")
def sim():
    return generate_chain(compact_day())


@pytest.fixture(scope="module")
def node(sim, tmp_path_factory):
    served = ServedChain.from_simulated(sim, 400)
    with NodeSim(served, rpc_user="u", rpc_password="p", datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


@pytest.fixture(scope="module")
def lake_dir(sim, node, tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake") / "lake"
    argv = ["ingest", "--lake", str(lake), "--node", node.url, "--source", "rest"]
    assert main([*argv, "--start-height", str(sim.start_height)]) == 0
    return lake


@pytest.fixture(scope="module")
def blocks_dir(sim, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("blocks")
    for height, raw in zip(sim.heights, sim.blocks, strict=True):
        (folder / f"{height}.bin").write_bytes(raw)
    return folder


def cli_json(*argv: str) -> dict:
    """``chainprice ARGV --json`` in its own process, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", *argv, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_error(capsys, *argv: str) -> str:
    """The one line ``chainprice ARGV`` fails with, without its ``chainprice: error:`` prefix."""
    assert main(list(argv)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1].removeprefix("chainprice: error: ")


def api_error(call, *args, **kwargs) -> str:
    with pytest.raises(chainprice.ChainPriceError) as caught:
        call(*args, **kwargs)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_the_public_names_are_all_there_is_and_import_light() -> None:
    public = {n for n in dir(chainprice) if not n.startswith("_")}
    assert public == set(chainprice.__all__)
    for name in chainprice.__all__:
        assert getattr(chainprice, name).__doc__, f"{name} has no docstring"
    names: dict = {}
    exec("from chainprice import *", names)
    assert set(names) - {"__builtins__"} == set(chainprice.__all__)
    with pytest.raises(AttributeError):
        chainprice.price_amounts  # noqa: B018 - internal names are not reachable as API
    probe = "import json, sys, chainprice; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(done.stdout)}
    assert not set(HEAVY) & loaded


def test_the_result_has_the_fields_and_values_of_price_json(node) -> None:
    want = cli_json("price", "--node", node.url, *CREDENTIALS, "--date", str(DAY))
    got = chainprice.price_day(DAY, node=chainprice.Node(node.url, rpc_user="u", rpc_password="p"))
    assert [f.name for f in dataclasses.fields(chainprice.Price)] == list(want)
    assert got.to_json() == want  # floats through JSON keep every bit (repr round-trips)
    assert got.kind == "day" and got.date == DAY  # a date, printed as ISO text
    assert got.price == want["price"] and isinstance(got.price, float)


@pytest.mark.parametrize("source", ["rest", "esplora"])
def test_every_node_source_and_option_prices_as_the_cli(capsys, node, source) -> None:
    url = node.esplora_url if source == "esplora" else node.url
    argv = ["price", "--node", url, "--source", source, "--workers", "3", "--retries", "2"]
    argv += ["--header", "X-Tunnel: t0ken", "--timeout", "30"]
    assert main([*argv, "--date", str(DAY), "--window-rule", "canonical", "--json"]) == 0
    want_day = json.loads(capsys.readouterr().out)
    assert main([*argv, "--recent", "100", "--json"]) == 0
    want_recent = json.loads(capsys.readouterr().out)
    options = chainprice.Node(
        url, source=source, workers=3, retries=2, headers={"X-Tunnel": "t0ken"}, timeout=30
    )
    assert "t0ken" not in repr(options)
    assert chainprice.price_day(DAY, node=options, window_rule="canonical").to_json() == want_day
    assert chainprice.price_recent(100, node=options).to_json() == want_recent


def test_cookie_auth_block_files_and_lake_agree_with_the_node(
    node, lake_dir, blocks_dir, sim, tmp_path
) -> None:
    cookie = chainprice.Node(node.url, rpc_cookie=node.cookie_path)
    from_node = chainprice.price_day(DAY, node=cookie)
    password_file = tmp_path / "password"
    password_file.write_text("p\n")
    with_file = chainprice.Node(node.url, rpc_user="u", rpc_password_file=password_file)
    assert chainprice.price_day(DAY, node=with_file) == from_node
    assert chainprice.price_day(str(DAY), blocks=blocks_dir) == from_node
    lake = chainprice.open_lake(str(lake_dir))
    assert chainprice.price_day(DAY, lake=lake) == from_node
    assert chainprice.price_day(DAY, lake=str(lake_dir)) == from_node
    assert cli_json("price", "--lake", str(lake_dir), "--date", str(DAY)) == from_node.to_json()
    recent = chainprice.price_recent(node=node.url.replace("://", "://u:p@"))
    assert recent.kind == "blocks" and recent.end_height == sim.tip
    assert chainprice.price_recent(lake=lake) == recent
    assert chainprice.price_recent(blocks=blocks_dir) == recent


def test_outputs_of_a_window_price_as_the_window(lake_dir) -> None:
    lake = chainprice.open_lake(str(lake_dir))
    day = chainprice.price_day(DAY, lake=lake)
    rows = lake.read_polars(
        "outputs", from_height=day.start_height, to_height=day.end_height - 1
    ).filter(pl.col("funding_height") < day.start_height)
    got = chainprice.price_outputs(
        rows["value_sats"].to_numpy(),
        rows["height"].to_numpy(),
        rows["time"].to_numpy(),
        tip_height=day.tip_height,
    )
    same = ("start_height", "end_height", "tip_height", "n_outputs", "n_price_points")
    same += ("n_plotted", "rough_price", "price", "dev_pct", "ax_range", "method_version")
    assert {k: getattr(got, k) for k in same} == {k: getattr(day, k) for k in same}
    assert got.kind == "blocks"


def test_raw_transactions_price_as_the_mempool_command(capsys, node) -> None:
    from chainprice.adapters.node import NodeConfig, open_source
    from chainprice.adapters.node.mempool_tracker import MempoolTracker

    assert main(["mempool", "--node", node.url, *CREDENTIALS, "--json"]) == 0
    want = json.loads(capsys.readouterr().out)
    source = open_source(node.url, "rpc", config=NodeConfig(rpc_user="u", rpc_password="p"))
    entries = source.mempool_entries()
    raws = source.raw_transactions([e.txid for e in entries])
    snapshot = MempoolTracker(source).refresh()  # the confirmed parents the CLI's run saw
    confirmed = [row[::-1].tobytes().hex() for row in snapshot.confirmed.txid]
    got = chainprice.price_transactions(
        raws, [e.time for e in entries], tip_height=snapshot.tip, confirmed_txids=confirmed
    )
    assert got.kind == "mempool" and got.start_height == got.end_height == want["tip_height"] + 1
    for key in ("price", "rough_price", "dev_pct", "n_outputs", "n_price_points", "tip_height"):
        assert getattr(got, key) == want[key], key


def test_each_failure_is_one_chainprice_error_with_the_cli_line(
    capsys, node, lake_dir, tmp_path
) -> None:
    api = chainprice.Node(node.url, rpc_user="u", rpc_password="p")
    old = dt.date(2024, 1, 1)
    pairs = [
        (
            cli_error(capsys, "price", "--node", node.url, *CREDENTIALS, "--date", str(old)),
            api_error(chainprice.price_day, old, node=api),
        ),
        (
            cli_error(
                capsys, "price", "--node", node.url, "--rpc-user", "u", "--rpc-password", SECRET
            ),
            api_error(
                chainprice.price_day,
                node=chainprice.Node(node.url, rpc_user="u", rpc_password=SECRET),
            ),
        ),
        (
            cli_error(capsys, "price", "--node", "http://127.0.0.1:9", "--retries", "0"),
            api_error(
                chainprice.price_recent, node=chainprice.Node("http://127.0.0.1:9", retries=0)
            ),
        ),
        (
            cli_error(capsys, "price", "--node", node.url, "--rpc-cookie", str(tmp_path / "none")),
            api_error(
                chainprice.price_day, node=chainprice.Node(node.url, rpc_cookie=tmp_path / "none")
            ),
        ),
        (
            cli_error(capsys, "price", "--node", node.url, "--rpc-password-file", str(tmp_path)),
            api_error(
                chainprice.price_day, node=chainprice.Node(node.url, rpc_password_file=tmp_path)
            ),
        ),
        (
            cli_error(capsys, "price", "--lake", str(lake_dir), "--date", str(old)),
            api_error(chainprice.price_day, old, lake=str(lake_dir)),
        ),
        (
            cli_error(capsys, "price", "--chain", str(tmp_path / "none")),
            api_error(chainprice.price_day, blocks=tmp_path / "none"),
        ),
    ]
    for cli_line, api_line in pairs:
        assert api_line == cli_line
    empty = str(tmp_path / "no-lake" / "here")
    assert cli_error(capsys, "price", "--lake", empty) == api_error(
        chainprice.price_day, lake=empty
    )
    assert all(SECRET not in line for pair in pairs for line in pair)
    for call, kwargs in [
        (chainprice.price_day, {}),
        (chainprice.price_day, {"node": node.url, "lake": str(lake_dir)}),
        (chainprice.price_recent, {"n_blocks": 290, "node": node.url}),
        (chainprice.price_day, {"day": "June 1st", "node": node.url}),
        (chainprice.price_day, {"node": node.url, "window_rule": "other"}),
        (chainprice.price_outputs, {"value_sats": [], "height": [], "time": []}),
        (chainprice.price_transactions, {"raw": [b"\x01"], "entry_time": [1], "tip_height": 1}),
        (chainprice.open_lake, {"url": "ftp://x"}),
        (chainprice.open_lake, {"url": 5}),
        (chainprice.price_day, {"node": chainprice.Node(node.url, timeout="soon")}),
        (chainprice.price_day, {"node": chainprice.Node(node.url, workers=0)}),
        (chainprice.price_day, {"node": chainprice.Node(node.url, source="ftp")}),
        (chainprice.price_outputs, {"value_sats": ["a"], "height": [1], "time": [1]}),
        (chainprice.price_transactions, {"raw": ["ab"], "entry_time": [1], "tip_height": 1}),
        (chainprice.price_transactions, {"raw": [], "entry_time": [], "tip_height": None}),
    ]:
        api_error(call, **kwargs)
    lake = chainprice.open_lake(str(lake_dir))
    for table, kwargs in [
        ("nope", {}),
        ("prices", {"from_height": 1}),
        ("outputs", {"columns": ["nope"]}),
        ("outputs", {"from_date": "June"}),
        ("outputs", {"to_height": "tip"}),
    ]:
        api_error(lake.read_arrow, table, **kwargs)


def test_a_lake_table_reads_as_the_sql_view(lake_dir) -> None:
    import polars.selectors as cs

    lake = chainprice.open_lake(str(lake_dir))
    con = lake_connection(lake._store)
    for table in lake.tables():
        mine = pl.from_arrow(lake.read_arrow(table))
        view = con.sql(f"SELECT * FROM {table}").pl()  # DuckDB names UTC "Etc/UTC"
        view = view.with_columns(cs.datetime().dt.convert_time_zone("UTC"))
        assert mine.schema == view.schema, table
        order = ("kind", "date", "height", "tx_index", "vout", "seq", "computed_at")
        keys = [c for c in order if c in mine.columns] or mine.columns[:1]
        assert mine.sort(keys).equals(view.sort(keys)), table
    prices = lake.read_polars("prices", from_date=DAY, to_date=str(DAY))
    assert prices["kind"].to_list() == ["day"] and prices["date"].to_list() == [DAY]
    assert lake.read_polars("prices", columns=["price", "kind"]).columns == ["price", "kind"]


def test_a_range_reads_only_the_objects_the_manifest_lists_for_it(lake_dir, tmp_path) -> None:
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake_dir, copy)
    lake = chainprice.open_lake(str(copy))
    manifest = load_manifest(lake._store)
    heights = lake.read_polars("outputs", columns=["height"])["height"]
    lo, hi = int(heights.max()) - 8, int(heights.max()) - 6  # blocks of the unfinished day
    opened: list[str] = []
    get = lake._store.get
    lake._store.get = lambda name: opened.append(name) or get(name)  # count what is read
    by_height = lake.read_polars("outputs", from_height=lo, to_height=hi)
    data = [n for n in opened if n != "manifest.json"]
    assert set(by_height["height"].to_list()) == set(range(lo, hi + 1))
    full = lake.read_polars("outputs")
    assert by_height.equals(full.filter(pl.col("height").is_between(lo, hi)))
    listed = set(manifest.names("outputs"))
    assert data and set(data) <= listed and len(data) < len(listed) / 4
    for name in data:
        obj = parse_object(name)
        assert obj.first_height <= hi and obj.last_height >= lo
    assert data == selected_objects(manifest, "outputs", RowRange(from_height=lo, to_height=hi))
    # an object outside both ranges, deleted: they still read, the whole table does not
    outside = next(n for n in sorted(listed) if parse_object(n).date < DAY)
    (copy / outside).unlink()
    assert lake.read_polars("outputs", from_height=lo, to_height=hi).equals(by_height)
    opened.clear()
    day = lake.read_polars("outputs", from_date=DAY, to_date=DAY)
    assert day.height > 0 and set(day["date"].to_list()) == {DAY}
    day_objects = {n for n in listed if parse_object(n).date == DAY}
    assert set(opened) - {"manifest.json"} == day_objects != listed
    with pytest.raises(chainprice.ChainPriceError, match=outside.replace(".", r"\.")):
        lake.read_polars("outputs")


@pytest.mark.parametrize("backend", ["gcs", "s3"])
def test_lakes_in_buckets_read_and_price_as_on_disk(request, lake_dir, backend) -> None:
    emulator = request.getfixturevalue(f"{backend}_emulator")
    bucket = emulator.new_bucket()
    store = emulator.open(bucket)
    for path in sorted(lake_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            store.put(path.relative_to(lake_dir).as_posix(), path.read_bytes())
    options = {"endpoint_url": emulator.endpoint}
    if backend == "s3":
        options |= {"access_key_id": "testing", "secret_access_key": "testing"}
        options |= {"region": "us-east-1"}
    remote = chainprice.open_lake(emulator.store_url(bucket), **options)
    local = chainprice.open_lake(str(lake_dir))
    for table in ("prices", "blocks"):
        assert remote.read_polars(table, from_date=DAY, to_date=DAY).equals(
            local.read_polars(table, from_date=DAY, to_date=DAY)
        )
    assert chainprice.price_day(DAY, lake=remote) == chainprice.price_day(DAY, lake=local)
    missing = emulator.store_url(emulator.new_bucket() + "-x")
    api_error(chainprice.open_lake, missing, **options)


def test_points_of_the_cli_still_come_with_the_json(node) -> None:
    got = cli_json("price", "--node", node.url, *CREDENTIALS, "--date", str(DAY), "--points")
    want = chainprice.price_day(DAY, node=f"http://u:p@{node.url.split('://')[1]}")
    points = got.pop("points")
    assert got == want.to_json()
    assert len(points["price"]) == want.n_plotted
    assert np.all(np.diff(points["height"]) >= 0)


def test_month_objects_of_day_prices_read_by_date_as_the_sql_view(tmp_path) -> None:
    """Finished months' day prices merged into one object each (as ingest does): a date range
    opens only the months it touches, and the rows are the SQL view's."""
    import polars.selectors as cs
    from site_lake import commit, compact, day_row, golden_lake, put_day

    store, manifest, day = golden_lake(tmp_path / "lake")
    real = day_row(store, day)
    for back in range(80, 0, -1):
        row = real | {"price": real["price"] + back, "canonical_price": real["price"] + back}
        put_day(store, manifest, day - dt.timedelta(days=back), row, published=True)
    commit(store, manifest)
    compact(store)
    lake = chainprice.open_lake(str(tmp_path / "lake"))
    months = [n for n in load_manifest(lake._store).names("prices") if "/month=" in n]
    assert len(months) >= 2
    view = lake_connection(lake._store).sql("SELECT * FROM prices").pl()
    view = view.with_columns(cs.datetime().dt.convert_time_zone("UTC"))
    keys = ["kind", "date", "computed_at"]
    assert lake.read_polars("prices").sort(keys).equals(view.sort(keys))
    opened: list[str] = []
    get = lake._store.get
    lake._store.get = lambda name: opened.append(name) or get(name)
    october = lake.read_polars("prices", from_date="2024-10-10", to_date=dt.date(2024, 10, 20))
    assert october["date"].to_list() == [dt.date(2024, 10, d) for d in range(10, 21)]
    assert set(october["kind"]) == {"day"}
    assert [n for n in opened if n != "manifest.json"] == [
        n for n in months if "month=2024-10/" in n
    ]
