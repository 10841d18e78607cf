"""Alerts: one webhook message when a condition starts and one when it clears, whatever number
of runs see it at once; a webhook that is down never fails a job; no secret in a message."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.storage import open_store
from chainprice.jobs.alerts import conditions, send_alerts
from chainprice.jobs.logs import JobLog
from chainprice.jobs.runner import run_job
from chainprice.jobs.settings import AlertSettings, JobSettings, NodeSettings
from chainprice.jobs.wiring import Wiring
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain
from tests.webhook_receiver import TOKEN, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-5e4d3c2b1a09"
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LIMITS = AlertSettings(max_lag_blocks=6, max_divergence_pct=5.0, max_silence_seconds=600.0)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    served = ServedChain.from_simulated(generate_chain(compact_day()))
    with NodeSim(
        served, rpc_user="u", rpc_password=PASSWORD, datadir=tmp_path_factory.mktemp("n")
    ) as n:
        yield n


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_each_condition_is_read_from_the_manifest() -> None:
    ok = (NOW - dt.timedelta(seconds=60)).isoformat()
    old = (NOW - dt.timedelta(seconds=3600)).isoformat()
    latest = {
        "jobs": {
            "ingest": {
                "last_status": "error",
                "last_error": "node down",
                "lag_blocks": 9,
                "last_success_at": ok,
            },
            "mempool": {"last_status": "ok", "last_success_at": old},
            "backfill": {"last_status": "error", "last_error": "boom"},
        },
        "day": {
            "date": "2026-11-30",
            "price": 90000.0,
            "is_valid": False,
            "invalid_reason": "confidence 0.3 below 0.5",
            "diff_pct": -7.5,
            "exchange_price": 97300.0,
        },
        "recent": {"computed_at": ok, "price": 96000.0, "is_valid": True, "diff_pct": 1.0},
    }
    found = conditions(latest, LIMITS, ("ingest", "mempool"), NOW)
    assert set(found) == {
        "failed:ingest",
        "failed:backfill",
        "silent:mempool",
        "lag",
        "invalid:day",
        "divergence:day",
    }
    assert found["failed:ingest"] == "ingest failed: node down"
    assert "9 blocks behind" in found["lag"] and "limit 6" in found["lag"]
    assert "-7.50 %" in found["divergence:day"] and "$97,300" in found["divergence:day"]
    assert "confidence 0.3" in found["invalid:day"]
    healthy = {"jobs": {"ingest": {"last_status": "ok", "last_success_at": ok, "lag_blocks": 6}}}
    assert conditions(healthy, LIMITS, ("ingest", "mempool"), NOW) == {}


def _env(hook: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHAINPRICE_")}
    return {**clean, "PYTHONUNBUFFERED": "1", "CHAINPRICE_ALERT_WEBHOOK_URL": hook}


def _ingest_twice_at_once(tmp_path: Path, lake: Path, node_url: str, hook: str) -> list:
    argv = [sys.executable, "-m", "chainprice.cli.main", "ingest", "--lake", str(lake)]
    argv += ["--node", node_url, *["--rpc-user", "u", "--retries", "0", "--timeout", "5"]]
    env = _env(hook) | {"CHAINPRICE_RPC_PASSWORD": PASSWORD}
    runs = [
        subprocess.Popen(
            argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    return [(p.wait(120), *p.communicate()) for p in runs]


def test_two_concurrent_runs_post_one_message_per_transition(tmp_path, node, receiver) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    down = _ingest_twice_at_once(tmp_path, lake, closed_port_url(), receiver.url)
    assert [code for code, *_ in down] == [2, 2], down
    assert len(receiver.texts()) == 1, receiver.texts()
    assert receiver.texts()[0].startswith("PROBLEM: ingest failed: ")

    up = _ingest_twice_at_once(tmp_path, lake, node.url, receiver.url)
    assert [code for code, *_ in up] == [0, 0], up
    failed = [t for t in receiver.texts() if "ingest failed" in t]
    assert len(failed) == 2 and failed[1].startswith("RESOLVED (since "), failed
    assert len(set(receiver.texts())) == len(receiver.texts())

    posted = len(receiver.texts())
    _ingest_twice_at_once(tmp_path, lake, node.url, receiver.url)
    assert len(receiver.texts()) == posted  # nothing started or cleared: nothing repeated

    bodies = json.dumps(receiver.bodies)
    assert PASSWORD not in bodies and TOKEN not in bodies
    outputs = "".join(out + err for _, out, err in down + up)
    assert TOKEN not in outputs and PASSWORD not in outputs
    assert TOKEN not in (lake / "manifest.json").read_text()
    assert all(b["content"] == b["text"] for b in receiver.bodies)


def _wiring(lake: Path, hook: str) -> Wiring:
    """Settings holding the node's password: a secret that must not leave through an alert."""
    node = NodeSettings("http://127.0.0.1:8332", "rpc", NodeConfig(rpc_password=PASSWORD))
    settings = JobSettings(lake_url=str(lake), node=node, alerts=AlertSettings(webhook_url=hook))
    return Wiring(settings, store=open_store(str(lake)))


def _fail(facts, log):
    raise RuntimeError(f"the node refused the password {PASSWORD}")


def _succeed(facts, log):
    facts.tip_height = facts.lake_height = 100
    return "done"


def test_a_webhook_that_is_down_never_fails_the_job_and_the_next_run_posts(
    tmp_path, receiver, capsys
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    unreachable = closed_port_url() + f"/hooks/{TOKEN}"
    assert run_job("ingest", _wiring(lake, unreachable), _succeed) == "done"
    receiver.status = 503
    with pytest.raises(RuntimeError):
        run_job("ingest", _wiring(lake, receiver.url), _fail)
    assert receiver.bodies == []
    out = capsys.readouterr().out
    warnings = [json.loads(line) for line in out.splitlines() if "webhook" in line]
    assert [w["message"] for w in warnings] == [
        "alerts: the alert webhook answered HTTP 503; 1 message(s) kept for next run"
    ]
    assert TOKEN not in out and PASSWORD not in out

    receiver.status = 200
    with pytest.raises(RuntimeError):
        run_job("ingest", _wiring(lake, receiver.url), _fail)
    assert receiver.texts() == ["PROBLEM: ingest failed: the node refused the password [redacted]"]
    assert run_job("ingest", _wiring(lake, receiver.url), _succeed) == "done"
    assert len(receiver.texts()) == 2 and receiver.texts()[1].startswith("RESOLVED")


KILLED_RUN = textwrap.dedent(
    """
    import sys
    from chainprice.adapters.storage import open_store
    from chainprice.jobs.runner import run_job
    from chainprice.jobs.settings import AlertSettings, JobSettings, NodeSettings
    from chainprice.jobs.wiring import Wiring

    lake, hook = sys.argv[1:]
    settings = JobSettings(lake_url=lake, alerts=AlertSettings(webhook_url=hook))

    def fail(facts, log):
        raise RuntimeError("the node is down")

    run_job("ingest", Wiring(settings, store=open_store(lake)), fail)
    """
)


def test_a_run_killed_while_posting_leaves_the_message_to_a_later_run(tmp_path, receiver) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    receiver.hold = True
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(lake), receiver.url],
        cwd=ROOT,
        env=_env(receiver.url),
        stdout=subprocess.DEVNULL,
    )
    try:
        assert receiver.held.wait(60), "the run never posted"
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    receiver.hold = False
    receiver.release.set()

    wiring = _wiring(lake, receiver.url)
    log = JobLog("mempool", "next", quiet=True)
    now = dt.datetime.now(dt.UTC)
    send_alerts(wiring, log, "while-leased", now=now)
    assert receiver.bodies == []  # the killed run's lease still holds: no second poster
    send_alerts(wiring, log, "after-lease", now=now + dt.timedelta(seconds=130))
    assert receiver.texts() == ["PROBLEM: ingest failed: the node is down"]
    send_alerts(wiring, log, "later", now=now + dt.timedelta(seconds=400))
    assert len(receiver.texts()) == 1


def _tip(node) -> int:
    import requests

    call = {"jsonrpc": "1.0", "id": 1, "method": "getblockcount", "params": []}
    return requests.post(node.url, json=call, auth=("u", PASSWORD), timeout=10).json()["result"]


def test_lag_invalid_prices_and_divergence_from_real_runs(tmp_path, node, receiver) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    argv = [sys.executable, "-m", "chainprice.cli.main", "ingest", "--lake", str(lake)]
    argv += ["--node", node.url, "--rpc-user", "u", "--prices-url", f"{node.url}/api"]
    env = _env(receiver.url) | {
        "CHAINPRICE_RPC_PASSWORD": PASSWORD,
        "CHAINPRICE_ALERT_MAX_DIVERGENCE_PCT": "0.000001",
    }
    behind = [*argv, "--stop-height", str(_tip(node) - 10)]
    strict = env | {"CHAINPRICE_MIN_PRICE": "500000"}  # above the simulated price: invalid
    done = subprocess.run(behind, cwd=tmp_path, env=strict, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    texts = receiver.texts()
    assert all(t.startswith("PROBLEM: ") for t in texts), texts
    assert any("10 blocks behind the node (limit 6 blocks)" in t for t in texts), texts
    assert any(t.startswith("PROBLEM: the recent price") and "not valid" in t for t in texts)
    assert any("% from the exchange's" in t for t in texts), texts

    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    resolved = [t for t in receiver.texts() if t.startswith("RESOLVED")]
    assert any("blocks behind" in t for t in resolved), resolved
    assert any("recent price" in t and "not valid" in t for t in resolved), resolved
