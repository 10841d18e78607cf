"""The cloud functions end to end: ``functions-framework`` processes, the simulated node over
HTTP, fake-gcs-server (``STORAGE_EMULATOR_HOST``) or a local folder as the lake, CloudEvents
posted as Pub/Sub push delivers them; the lake then read with DuckDB.

At-least-once delivery (the same event twice), overlapping runs and a process killed
mid-run and redelivered all end as one clean run would leave the lake; faults (node down,
storage answering 503, price API down) end in one ERROR line and a status Pub/Sub retries.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
import requests
from functions_harness import Function
from lake_rows import lake_rows

from chainprice.adapters.storage import open_store
from chainprice.lake.check import check_lake
from chainprice.lake.manifest import load_manifest
from chainprice.lake.sql_views import lake_connection
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

pytest_plugins = ["tests.emulators"]

SECRET = "s3cret-tunnel-token"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    chain = ServedChain.from_spec(replace(compact_day(), days=3))
    with NodeSim(chain, rpc_user="u", rpc_password="p", datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


def node_env(node, **more: str) -> dict[str, str]:
    return {
        "CHAINPRICE_NODE_URL": node.url,
        "CHAINPRICE_NODE_SOURCE": "rpc",
        "CHAINPRICE_RPC_USER": "u",
        "CHAINPRICE_RPC_PASSWORD": "p",
        "CHAINPRICE_NODE_HEADERS": json.dumps({"X-Tunnel-Token": SECRET}),
        "CHAINPRICE_PRICES_URL": node.esplora_url,
        "CHAINPRICE_START_HEIGHT": str(node.chain.start_height),
        "CHAINPRICE_HEALTH_JOBS": "ingest",
        **more,
    }


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def no_secret_in(function: Function) -> None:
    assert SECRET not in function.log_path.read_text()
    assert '"p"' not in function.log_path.read_text()


@pytest.fixture
def functions(tmp_path):
    started: list[Function] = []

    def start(target: str, env: dict[str, str]) -> Function:
        function = Function(target, env, tmp_path).wait_ready()
        started.append(function)
        return function

    yield start
    for function in started:
        function.stop()


def test_an_instance_with_bad_configuration_stops_with_one_line(tmp_path, node) -> None:
    cases = {
        "CHAINPRICE_LAKE_URL": node_env(node),
        "CHAINPRICE_NODE_HEADERS": node_env(
            node, CHAINPRICE_LAKE_URL=str(tmp_path), CHAINPRICE_NODE_HEADERS=f"[{SECRET}"
        ),
        "CHAINPRICE_NODE_TIMEOUT": node_env(
            node, CHAINPRICE_LAKE_URL=str(tmp_path), CHAINPRICE_NODE_TIMEOUT="inf"
        ),
        "CHAINPRICE_NODE_URL": {"CHAINPRICE_LAKE_URL": str(tmp_path)},
    }
    for variable, env in cases.items():
        function = Function("ingest", env, tmp_path)
        assert function.process.wait(timeout=60) == 2
        function.stop()
        (line,) = function.log_path.read_text().splitlines()
        entry = json.loads(line)
        assert entry["severity"] == "ERROR" and variable in entry["message"], line
        assert SECRET not in line


def test_ingest_redelivered_and_overlapping_ends_as_one_clean_run(
    node, functions, gcs_emulator, tmp_path
) -> None:
    emulator_env = {"STORAGE_EMULATOR_HOST": gcs_emulator.endpoint}
    clean_bucket, busy_bucket = gcs_emulator.new_bucket(), gcs_emulator.new_bucket()
    clean = functions(
        "ingest",
        node_env(node, CHAINPRICE_LAKE_URL=f"gs://{clean_bucket}/lake", **emulator_env),
    )
    assert clean.post_event(event_id="clean-1").status_code == 200

    busy_env = node_env(node, CHAINPRICE_LAKE_URL=f"gs://{busy_bucket}/lake", **emulator_env)
    instances = [functions("ingest", busy_env), functions("ingest", busy_env)]
    answers: list[int] = []

    def deliver(i: int) -> None:
        answers.append(instances[i % 2].post_event(event_id=f"overlap-{i}").status_code)

    runs = [threading.Thread(target=deliver, args=(i,)) for i in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert answers == [200, 200, 200]
    busy = instances[1]
    assert busy.post_event(event_id="overlap-0").status_code == 200  # redelivered elsewhere

    clean_store = gcs_emulator.open(clean_bucket)
    busy_store = gcs_emulator.open(busy_bucket)
    assert lake_rows(busy_store) == lake_rows(clean_store)
    assert check_lake(busy_store).ok
    manifest = load_manifest(busy_store)
    assert manifest.tip_height == node.chain.tip
    assert manifest.latest["jobs"]["ingest"]["last_status"] == "ok"
    days = (
        lake_connection(busy_store)
        .sql("SELECT date, price, exchange_price FROM prices WHERE kind = 'day' ORDER BY date")
        .fetchall()
    )
    assert days and all(price > 0 and exchange for _, price, exchange in days)
    run_rows = (
        lake_connection(busy_store)
        .sql("SELECT job, status, run_id FROM runs ORDER BY started_at")
        .fetchall()
    )
    assert [(job, status) for job, status, _ in run_rows] == [("ingest", "ok")] * 4
    assert {r for _, _, r in run_rows} == {"overlap0", "overlap1", "overlap2"}
    feed = json.loads(busy_store.get("latest.json"))
    assert feed["lake"]["tip_height"] == node.chain.tip and feed["day"]["price"] > 0
    lines = instances[0].lines() + busy.lines()
    assert {line["severity"] for line in lines} == {"INFO"}
    assert all({"job", "run_id", "message", "time"} <= line.keys() for line in lines)
    no_secret_in(instances[0])
    no_secret_in(busy)

    health = functions(
        "health",
        {
            "CHAINPRICE_LAKE_URL": f"gs://{busy_bucket}/lake",
            "CHAINPRICE_HEALTH_JOBS": "ingest",
            **emulator_env,
        },
    )
    answer = requests.get(health.url, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["jobs"]["ingest"]["lag_blocks"] == 0


def test_a_run_killed_mid_way_and_redelivered_ends_clean(node, functions, tmp_path) -> None:
    clean_lake, killed_lake = tmp_path / "clean", tmp_path / "killed"
    clean = functions("ingest", node_env(node, CHAINPRICE_LAKE_URL=str(clean_lake)))
    assert clean.post_event(event_id="one").status_code == 200

    victim = functions("ingest", node_env(node, CHAINPRICE_LAKE_URL=str(killed_lake)))
    threading.Thread(
        target=lambda: _ignore_errors(lambda: victim.post_event(event_id="two")), daemon=True
    ).start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # kill once some blocks are committed
        manifest_path = killed_lake / "manifest.json"
        if manifest_path.exists() and json.loads(manifest_path.read_text()).get("tip_height"):
            break
        time.sleep(0.05)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    store = open_store(str(killed_lake))
    assert load_manifest(store).tip_height < node.chain.tip

    again = functions("ingest", node_env(node, CHAINPRICE_LAKE_URL=str(killed_lake)))
    assert again.post_event(event_id="two").status_code == 200
    assert lake_rows(store) == lake_rows(open_store(str(clean_lake)))
    assert check_lake(store).ok


def _ignore_errors(call) -> None:
    with contextlib.suppress(requests.RequestException):
        call()


def test_node_down_and_storage_503_end_in_one_error_line_and_a_retry_status(
    node, functions, gcs_emulator, faulty_proxy, tmp_path
) -> None:
    down = functions(
        "ingest",
        node_env(
            node,
            CHAINPRICE_LAKE_URL=str(tmp_path / "lake"),
            CHAINPRICE_NODE_URL=closed_port_url(),
            CHAINPRICE_NODE_RETRIES="1",
        ),
    )
    assert down.post_event(event_id="down").status_code == 500
    errors = [line for line in down.lines() if line["severity"] == "ERROR"]
    assert len(errors) == 1 and "ingest failed" in errors[0]["message"]
    no_secret_in(down)
    store = open_store(str(tmp_path / "lake"))
    assert load_manifest(store).latest["jobs"]["ingest"]["last_status"] == "error"
    assert load_manifest(store).tip_height is None  # no partial rows

    proxy = faulty_proxy(gcs_emulator.endpoint, fail_first=10**9)
    bucket = gcs_emulator.new_bucket()
    failing = functions(
        "ingest",
        node_env(
            node, CHAINPRICE_LAKE_URL=f"gs://{bucket}/lake", STORAGE_EMULATOR_HOST=proxy.endpoint
        ),
    )
    assert failing.post_event(event_id="storage", timeout=300).status_code == 500
    errors = [line for line in failing.lines() if line["severity"] == "ERROR"]
    assert errors and "ingest failed" in errors[0]["message"]
    assert proxy.requests >= 2
    assert load_manifest(gcs_emulator.open(bucket)).version == 0  # nothing was written


def test_prices_are_stored_while_the_price_api_is_down_and_filled_later(
    node, functions, tmp_path
) -> None:
    lake = str(tmp_path / "lake")
    without = functions(
        "ingest", node_env(node, CHAINPRICE_LAKE_URL=lake, CHAINPRICE_PRICES_URL=closed_port_url())
    )
    assert without.post_event(event_id="api-down").status_code == 200
    con = lake_connection(open_store(lake))
    days = con.sql("SELECT date, price, exchange_price FROM prices WHERE kind = 'day'").fetchall()
    assert days and all(price > 0 and exchange is None for _, price, exchange in days)
    warnings = [line for line in without.lines() if line["severity"] == "WARNING"]
    assert warnings and all("exchange price" in line["message"] for line in warnings)
    assert all(line.startswith("{") for line in without.log_path.read_text().splitlines())
    without.stop()

    back = functions("ingest", node_env(node, CHAINPRICE_LAKE_URL=lake))
    assert back.post_event(event_id="api-back").status_code == 200
    store = open_store(lake)
    con = lake_connection(store)
    filled = con.sql(
        "SELECT date, price, exchange_price, diff_pct FROM prices WHERE kind = 'day'"
    ).fetchall()
    assert [(d, p) for d, p, _, _ in filled] == [(d, p) for d, p, _ in days]
    assert all(exchange and diff is not None for _, _, exchange, diff in filled)
    assert check_lake(store).ok
    assert any("exchange_filled" in line and line["exchange_filled"] for line in back.lines())


def test_health_answers_503_when_the_last_success_is_too_old(node, functions, tmp_path) -> None:
    lake = str(tmp_path / "lake")
    ingest = functions("ingest", node_env(node, CHAINPRICE_LAKE_URL=lake))
    assert ingest.post_event().status_code == 200
    strict = functions(
        "health",
        {
            "CHAINPRICE_LAKE_URL": lake,
            "CHAINPRICE_HEALTH_MAX_SILENCE_SECONDS": "0.001",
            "CHAINPRICE_HEALTH_JOBS": "ingest,mempool",
        },
    )
    answer = requests.get(strict.url, timeout=60)
    assert answer.status_code == 503
    problems = " ".join(answer.json()["problems"])
    assert "ingest last succeeded" in problems and "mempool has never succeeded" in problems


def test_the_source_package_ships_compiled_kernels(node, tmp_path) -> None:
    """Built, moved elsewhere (as an upload unpacks it), started cold: nothing is compiled."""
    from chainprice.deploy.function_source import build

    built = build(tmp_path / "built")
    moved = tmp_path / "unpacked"
    shutil.copytree(built, moved)  # keeps modification times, as zip does
    assert (moved / "requirements.txt").read_text().count("==") >= 10
    env = node_env(node, CHAINPRICE_LAKE_URL=str(tmp_path / "lake"), NUMBA_DEBUG_CACHE="1")
    env["PYTHONPATH"] = str(moved)  # the package's copy, not this checkout's (as in the cloud)
    function = Function("ingest", env, tmp_path, source=moved / "main.py").wait_ready()
    try:
        assert function.post_event().status_code == 200
        output = function.log_path.read_text()
    finally:
        function.stop()
    assert f"[cache] index loaded from '{moved}" in output
    assert "[cache] data saved" not in output


@pytest.fixture
def moving_node(tmp_path):
    """``chainprice node-sim`` as its own process, mining and receiving transactions."""
    args = ["--days", "2", "--mine-every", "2", "--mempool-size", "3000", "--mempool-rate", "40"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainprice.nodesim",
            "--port",
            "0",
            "--rpc-user",
            "u",
            "--rpc-password",
            "p",
            *args,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        yield line.split("url=")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _node_tip(url: str) -> int:
    answer = requests.post(
        url, json={"method": "getblockcount", "id": 1}, auth=("u", "p"), timeout=30
    )
    return answer.json()["result"]


def test_the_scheduled_pipeline_follows_a_moving_node(moving_node, functions, gcs_emulator):
    bucket = gcs_emulator.new_bucket()
    env = {
        "CHAINPRICE_NODE_URL": moving_node,
        "CHAINPRICE_RPC_USER": "u",
        "CHAINPRICE_RPC_PASSWORD": "p",
        "CHAINPRICE_LAKE_URL": f"gs://{bucket}/lake",
        "CHAINPRICE_PRICES_URL": moving_node + "/api",
        "STORAGE_EMULATOR_HOST": gcs_emulator.endpoint,
    }
    ingest, mempool = functions("ingest", env), functions("mempool", env)
    health = functions("health", env)
    assert ingest.post_event().status_code == 200
    assert mempool.post_event().status_code == 200
    store = gcs_emulator.open(bucket)
    first_tip = load_manifest(store).tip_height
    deadline = time.monotonic() + 120
    while _node_tip(moving_node) < first_tip + 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ingest.post_event().status_code == 200
    assert mempool.post_event().status_code == 200
    manifest = load_manifest(store)
    assert manifest.tip_height >= first_tip + 2
    feed = json.loads(store.get("latest.json"))
    assert all(feed[name]["price"] > 0 for name in ("day", "recent", "mempool"))
    con = lake_connection(store)
    (mempool_rows,) = con.sql("SELECT count(*) FROM prices WHERE kind = 'mempool'").fetchone()
    assert mempool_rows == 2
    jobs = con.sql("SELECT job, status FROM runs ORDER BY started_at").fetchall()
    assert sorted(jobs) == [("ingest", "ok")] * 2 + [("mempool", "ok")] * 2
    refreshed = [line for line in mempool.lines() if line["message"].startswith("mempool priced")]
    assert len(refreshed) == 2 and refreshed[1]["fetched"] < refreshed[0]["fetched"]
    answer = requests.get(health.url, timeout=60)
    assert answer.status_code == 200, answer.text


def test_backfill_fans_out_to_workers_through_the_dispatcher(node, functions, tmp_path) -> None:
    """``backfill`` publishes one message per chunk; the dispatcher pushes them to two
    ``backfill_worker`` instances, one of them killed mid-chunk: the lake ends as one
    sequential backfill leaves it, and every raw block is read from the node once."""
    from chainprice.adapters.pubsub_dispatcher import Dispatcher
    from chainprice.cli.main import main

    days = ["--from", "2024-06-02", "--to", "2024-06-03"]
    sequential = tmp_path / "sequential"
    auth = ["--rpc-user", "u", "--rpc-password", "p", "--prices-url", node.esplora_url]
    assert main(["backfill", "--lake", str(sequential), "--node", node.url, *days, *auth]) == 0

    lake = tmp_path / "fanned"
    env = node_env(node, CHAINPRICE_LAKE_URL=str(lake), CHAINPRICE_NODE_SOURCE="rest")
    workers = [functions("backfill_worker", env), functions("backfill_worker", env)]
    dispatcher = Dispatcher([w.url for w in workers], backoff=0.5).start()
    try:
        planner = functions(
            "backfill",
            env
            | {
                "PUBSUB_EMULATOR_HOST": dispatcher.host,
                "CHAINPRICE_BACKFILL_TOPIC": "projects/local/topics/backfill",
                "CHAINPRICE_BACKFILL_CHUNK_DAYS": "1",
            },
        )
        assert (
            requests.post(planner.url, json={"from": "2024-06-03"}, timeout=60).status_code == 400
        )
        node.clear_log()
        answer = requests.post(
            planner.url, json={"from": "2024-06-02", "to": "2024-06-03"}, timeout=300
        )
        assert answer.status_code == 202, answer.text
        chunks = answer.json()["chunks"]
        assert len(chunks) == 2
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (lake / "manifest.json").exists():
            time.sleep(0.05)
        workers[0].process.send_signal(signal.SIGKILL)  # mid-chunk: its delivery fails, retried
        assert dispatcher.wait_idle(600)
    finally:
        dispatcher.stop()
    assert len(dispatcher.log.delivered) == 2 and not dispatcher.log.dead_lettered
    assert lake_rows(open_store(str(lake))) == lake_rows(open_store(str(sequential)))
    assert check_lake(open_store(str(lake))).ok
    raw = [
        r.target
        for r in node.request_log
        if r.target.startswith("/rest/block/") and r.target.endswith(".bin") and r.status == 200
    ]
    assert len(raw) - len(set(raw)) <= 36  # only the killed worker's uncommitted batch again

    refused = workers[1].post_event({"first_height": "x"})
    assert refused.status_code == 200  # acknowledged: a redelivery could never succeed
    assert any("not retried" in line["message"] for line in workers[1].lines())
