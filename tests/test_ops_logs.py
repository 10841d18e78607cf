"""Log output: JSON lines under systemd, in the cloud or into a pipe; readable lines on a
terminal; either one forced by ``CHAINPRICE_LOG_FORMAT`` or ``--log-format``."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest

from chainprice.jobs.logs import MANAGED_MARKERS, JobLog, pick_format
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def unmanaged(monkeypatch):
    for name in MANAGED_MARKERS:
        monkeypatch.delenv(name, raising=False)


def test_the_json_shape_is_cloud_loggings(unmanaged) -> None:
    out = io.StringIO()
    JobLog("ingest", "r1", stream=out, secrets=["s3cret-value"]).info(
        "ingested s3cret-value", blocks=3, days=["2024-06-01"], skipped=None
    )
    entry = json.loads(out.getvalue())
    assert list(entry) == ["severity", "message", "time", "job", "run_id", "blocks", "days"]
    assert entry["severity"] == "INFO" and entry["message"] == "ingested [redacted]"
    assert (entry["job"], entry["run_id"], entry["blocks"]) == ("ingest", "r1", 3)


def test_a_terminal_gets_readable_lines(unmanaged) -> None:
    out = Terminal()
    log = JobLog("mempool", "r2", stream=out, secrets=["s3cret-value"])
    log.warning("no exchange price s3cret-value", tip_height=845597, days=["a", "b"])
    line = out.getvalue()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d WARNING mempool: no exchange price \[redacted\]"
        r"  \(tip_height=845597 days=a,b\)\n",
        line,
    ), line


@pytest.mark.parametrize("marker", MANAGED_MARKERS)
def test_systemd_and_the_cloud_get_json_even_on_a_terminal(monkeypatch, unmanaged, marker) -> None:
    assert pick_format(None, Terminal()) == "text"
    monkeypatch.setenv(marker, "8:12345")
    assert pick_format(None, Terminal()) == "json"
    assert pick_format("text", Terminal()) == "text"  # forced
    assert pick_format(None, io.StringIO()) == "json"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    served = ServedChain.from_simulated(generate_chain(compact_day()))
    with NodeSim(served, rpc_user="u", rpc_password="p", datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


def _ingest(tmp_path, node, *extra: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHAINPRICE_") and k not in MANAGED_MARKERS
    }
    lake = tmp_path / "lake"
    lake.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "chainprice.cli.main", "ingest", "--lake", str(lake)]
    argv += ["--node", node.url, "--rpc-user", "u", "--rpc-password", "p", *extra]
    return subprocess.run(
        argv, cwd=tmp_path, env=clean | env, capture_output=True, text=True, timeout=300
    )


def test_the_cli_writes_json_lines_under_systemd_and_text_when_asked(tmp_path, node) -> None:
    journal = _ingest(tmp_path, node, JOURNAL_STREAM="8:12345", INVOCATION_ID="ab12")
    assert journal.returncode == 0, journal.stderr
    lines = [json.loads(line) for line in journal.stdout.splitlines()]
    assert [e["message"] for e in lines] == ["ingest started", "ingested", "ingest finished"]
    assert lines[1]["blocks"] > 0 and {e["job"] for e in lines} == {"ingest"}

    text = _ingest(tmp_path, node, "--log-format", "text", INVOCATION_ID="ab12")
    assert text.returncode == 0, text.stderr
    assert re.match(r"\d\d:\d\d:\d\d INFO    ingest: ingest started\n", text.stdout), text.stdout
    assert "ingest: ingest finished  (" in text.stdout

    piped = _ingest(tmp_path, node)  # a person's pipe: the command's own summary
    assert piped.returncode == 0 and piped.stdout.startswith("ingested 0 blocks"), piped.stdout
    forced = _ingest(tmp_path, node, CHAINPRICE_LOG_FORMAT="json")
    assert json.loads(forced.stdout.splitlines()[-1])["message"] == "ingest finished"


@pytest.mark.parametrize(
    ("extra", "env", "named"),
    [
        (["--log-format", "xml"], {}, "--log-format"),
        ([], {"CHAINPRICE_LOG_FORMAT": "xml"}, "CHAINPRICE_LOG_FORMAT"),
        ([], {"CHAINPRICE_ALERT_MAX_LAG_BLOCKS": "many"}, "CHAINPRICE_ALERT_MAX_LAG_BLOCKS"),
    ],
)
def test_a_bad_log_format_or_alert_limit_is_one_line_naming_it(
    tmp_path, node, extra, env, named
) -> None:
    done = _ingest(tmp_path, node, *extra, **env)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and named in done.stderr, done.stderr
