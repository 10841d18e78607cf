"""The jobs' configuration: every variable checked, every refusal naming the variable and never
a secret; the CLI reading the same variables; the runs summary and ``health``'s verdict."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chainprice.adapters.storage import open_store
from chainprice.jobs.health import health_report
from chainprice.jobs.settings import SettingsError, environment, load_settings
from chainprice.jobs.wiring import Wiring
from chainprice.lake.runs import RunRow, record_run

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "tok-9f8e7d6c5b4a"
BASE = {"CHAINPRICE_LAKE_URL": "/tmp/lake", "CHAINPRICE_NODE_URL": "http://127.0.0.1:8332"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHAINPRICE_NODE_URL", "http://[::1"),
        ("CHAINPRICE_NODE_URL", "http://host:99999"),
        ("CHAINPRICE_NODE_SOURCE", "zmq"),
        ("CHAINPRICE_NODE_TIMEOUT", "inf"),
        ("CHAINPRICE_NODE_RETRIES", "-1"),
        ("CHAINPRICE_NODE_WORKERS", "1e20"),
        ("CHAINPRICE_NODE_HEADERS", '["not", "an object"]'),
        ("CHAINPRICE_RPC_COOKIE_FILE", "/nonexistent/.cookie"),
        ("CHAINPRICE_RPC_PASSWORD_FILE", "/nonexistent/password"),
        ("CHAINPRICE_NODE_CA_BUNDLE", "/nonexistent/ca.pem"),
        ("CHAINPRICE_LAKE_URL", "ftp://bucket"),
        ("CHAINPRICE_PRICES_URL", "mempool.space"),
        ("CHAINPRICE_START_HEIGHT", "-5"),
        ("CHAINPRICE_MIN_CONFIDENCE", "1.5"),
        ("CHAINPRICE_MAX_PRICE", "500"),
        ("CHAINPRICE_MAX_REORG_DEPTH", "0"),
        ("CHAINPRICE_BACKFILL_TOPIC", "my-topic"),
        ("CHAINPRICE_HEALTH_JOBS", "ingest,sleep"),
        ("CHAINPRICE_HEALTH_MAX_SILENCE_SECONDS", "nan"),
        ("CHAINPRICE_ALERT_WEBHOOK_URL", "hooks.slack.com/services/T/B/x"),
        ("CHAINPRICE_ALERT_WEBHOOK_URL", "https://hooks.example:99999/x"),
        ("CHAINPRICE_ALERT_MAX_LAG_BLOCKS", "-1"),
        ("CHAINPRICE_ALERT_MAX_DIVERGENCE_PCT", "0"),
        ("CHAINPRICE_ALERT_MAX_SILENCE_SECONDS", "nan"),
        ("CHAINPRICE_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, variable: value})
    assert str(refused.value).startswith(variable)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("variable", ["CHAINPRICE_LAKE_URL", "CHAINPRICE_NODE_URL"])
def test_a_missing_variable_is_named(variable: str) -> None:
    env = {k: v for k, v in BASE.items() if k != variable}
    with pytest.raises(SettingsError, match=f"^{variable} is not set"):
        load_settings(env)


def test_secret_values_are_never_shown() -> None:
    for bad in (f'{{"X-Token": {TOKEN}}}', f'{{"X-Token": "{TOKEN}\\n"}}'):
        with pytest.raises(SettingsError) as refused:
            load_settings({**BASE, "CHAINPRICE_NODE_HEADERS": bad})
        assert TOKEN not in str(refused.value)
    settings = load_settings(
        {
            **BASE,
            "CHAINPRICE_NODE_HEADERS": json.dumps({"X-Token": TOKEN}),
            "CHAINPRICE_RPC_PASSWORD": "hunter2-secret",
        }
    )
    assert TOKEN not in repr(settings) and "hunter2-secret" not in repr(settings)
    assert set(settings.secrets()) == {TOKEN, "hunter2-secret"}


def test_the_alert_webhook_url_is_a_secret() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, "CHAINPRICE_ALERT_WEBHOOK_URL": f"hooks.example/{TOKEN}"})
    assert TOKEN not in str(refused.value)
    hook = f"https://hooks.example/services/{TOKEN}"
    settings = load_settings({**BASE, "CHAINPRICE_ALERT_WEBHOOK_URL": hook})
    assert settings.alerts.webhook_url == hook and TOKEN not in repr(settings)
    assert hook in settings.secrets()


def test_the_password_file_and_the_env_file(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    settings = load_settings({**BASE, "CHAINPRICE_RPC_PASSWORD_FILE": str(secret)})
    assert settings.node.config.rpc_password == "from-a-file"
    with pytest.raises(SettingsError, match="CHAINPRICE_RPC_PASSWORD_FILE, not both"):
        load_settings(
            {**BASE, "CHAINPRICE_RPC_PASSWORD_FILE": str(secret), "CHAINPRICE_RPC_PASSWORD": "x"}
        )
    (tmp_path / ".env").write_text(
        "CHAINPRICE_LAKE_URL=/from/env-file\nCHAINPRICE_NODE_SOURCE=rest\n"
    )
    monkeypatch.setenv("CHAINPRICE_NODE_SOURCE", "esplora")
    env = environment(tmp_path / ".env")
    assert env["CHAINPRICE_LAKE_URL"] == "/from/env-file"
    assert env["CHAINPRICE_NODE_SOURCE"] == "esplora"  # the environment wins


def test_the_cli_reads_the_same_variables(tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CHAINPRICE_LAKE_URL": str(tmp_path / "lake"),
        "CHAINPRICE_NODE_URL": "http://127.0.0.1:1",
        "CHAINPRICE_NODE_RETRIES": "0",
        "CHAINPRICE_NODE_HEADERS": json.dumps({"X-Token": TOKEN}),
    }
    out = subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", "ingest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "cannot reach the node at http://127.0.0.1:1" in out.stderr
    assert TOKEN not in out.stderr + out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", "ingest"],
        cwd=tmp_path,
        env={**env, "CHAINPRICE_NODE_HEADERS": f"[{TOKEN}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "CHAINPRICE_NODE_HEADERS" in bad.stderr
    assert TOKEN not in bad.stderr


def _row(job: str, started: dt.datetime, status: str, lag: int = 0) -> RunRow:
    return RunRow(
        run_id=f"{job}{int(started.timestamp())}{status}",
        job=job,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=2),
        status=status,
        tip_height=100 + lag,
        lake_height=100,
        blocks_ingested=1,
        retries=0,
        error=None if status == "ok" else "the node timed out",
    )


def test_health_follows_the_latest_runs_whatever_order_they_commit_in(tmp_path) -> None:
    store = open_store(str(tmp_path / "lake"))
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    record_run(store, _row("ingest", now - dt.timedelta(minutes=5), "error"))
    record_run(store, _row("ingest", now - dt.timedelta(minutes=15), "ok"))  # late commit
    record_run(store, _row("mempool", now - dt.timedelta(minutes=2), "ok"))
    settings = load_settings({"CHAINPRICE_LAKE_URL": str(tmp_path / "lake")}, needs_node=False)
    healthy, body = health_report(Wiring(settings), now)
    assert healthy, body
    ingest = body["jobs"]["ingest"]
    assert ingest["last_status"] == "error" and ingest["last_error"] == "the node timed out"
    assert ingest["last_success_at"] == (now - dt.timedelta(minutes=15, seconds=-2)).isoformat()

    late = now + dt.timedelta(hours=1)
    healthy, body = health_report(Wiring(settings), late)
    assert not healthy and any("ingest last succeeded" in p for p in body["problems"])

    record_run(store, _row("ingest", now, "ok", lag=9))
    healthy, body = health_report(Wiring(settings), now + dt.timedelta(minutes=1))
    assert not healthy and body["problems"] == ["the lake is 9 blocks behind the node (limit 6)"]


def test_the_runs_of_a_finished_day_merge_into_one_object(tmp_path) -> None:
    from chainprice.lake.day_merge import DAILY_ROWS, merge_finished_days
    from chainprice.lake.manifest import commit, load_manifest
    from chainprice.lake.runs import read_runs

    runs = DAILY_ROWS[0]

    store = open_store(str(tmp_path / "lake"))
    day = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    for minutes in (0, 10, 20):
        record_run(store, _row("ingest", day + dt.timedelta(minutes=minutes), "ok"))
    record_run(store, _row("ingest", day + dt.timedelta(days=1), "ok"))
    before = read_runs(store, load_manifest(store)).sort_by("started_at")
    ops = merge_finished_days(store, load_manifest(store), dt.date(2026, 12, 1), runs)
    manifest = commit(store, ops)
    assert len(manifest.names("runs")) == 2  # the finished day's three rows in one object
    assert read_runs(store, manifest).sort_by("started_at").equals(before)
    assert merge_finished_days(store, manifest, dt.date(2026, 12, 1), runs) == []
