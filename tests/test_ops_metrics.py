"""``chainprice metrics``: Prometheus' text format from a real lake, read back with
prometheus_client's own parser; the textfile replaced whole, bad input refused in one line."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A lake ingested from the simulated node by the CLI, with one failed mempool run."""
    served = ServedChain.from_simulated(generate_chain(compact_day()))
    folder = tmp_path_factory.mktemp("lake")
    node = ["--rpc-user", "u", "--rpc-password", "p", "--retries", "0"]
    with NodeSim(served, rpc_user="u", rpc_password="p", datadir=folder.parent / "n") as n:
        url = n.url
        assert cli("ingest", "--lake", str(folder), "--node", url, *node).returncode == 0
    down = cli("mempool", "--lake", str(folder), "--node", url, *node)
    assert down.returncode == 2, down.stderr
    return folder


def own_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CHAINPRICE_")}


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", *argv],
        env=own_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_metrics_say_the_lag_the_jobs_and_the_prices(lake) -> None:
    done = cli("metrics", "--lake", str(lake))
    assert done.returncode == 0, done.stderr
    got = samples(done.stdout)
    assert got[("chainprice_lag_blocks", ())] == 0
    assert got[("chainprice_lake_tip_height", ())] == got[("chainprice_node_tip_height", ())] > 0
    ingest, mempool = (("job", "ingest"),), (("job", "mempool"),)
    assert got[("chainprice_job_last_run_ok", ingest)] == 1
    assert got[("chainprice_job_last_run_ok", mempool)] == 0
    assert 0 <= got[("chainprice_job_seconds_since_last_success", ingest)] < 600
    assert ("chainprice_job_seconds_since_last_success", mempool) not in got  # never succeeded
    assert 0 < got[("chainprice_job_last_duration_seconds", ingest)] < 300
    for kind in ("day", "recent"):
        label = (("kind", kind),)
        assert 10_000 < got[("chainprice_price_usd", label)] < 1_000_000
        assert 0 <= got[("chainprice_price_confidence", label)] <= 1
        assert got[("chainprice_price_valid", label)] in (0, 1)
    assert ("chainprice_price_usd", (("kind", "mempool"),)) not in got


def test_the_textfile_is_replaced_whole(lake, tmp_path) -> None:
    target = tmp_path / "chainprice.prom"
    target.write_text("stale\n")
    before = target.stat().st_ino
    done = cli("metrics", "--lake", str(lake), "--textfile", str(target))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert os.listdir(tmp_path) == ["chainprice.prom"]  # no temporary file left behind
    assert target.stat().st_ino != before  # renamed over, never rewritten in place
    written, printed = (
        samples(target.read_text()),
        samples(cli("metrics", "--lake", str(lake)).stdout),
    )
    assert written.keys() == printed.keys()
    steady = [k for k in printed if "seconds" not in k[0]]  # not the clock's readings
    assert {k: written[k] for k in steady} == {k: printed[k] for k in steady}


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--textfile", "metrics.txt"], "--textfile"),
        (["--textfile", "/nonexistent/chainprice.prom"], "--textfile"),
        (["--lake", "ftp://bucket"], "--lake"),
    ],
)
def test_bad_input_is_one_line_naming_it(lake, argv, named) -> None:
    done = cli("metrics", "--lake", str(lake), *argv)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and named in done.stderr, done.stderr


def test_writers_at_once_and_killed_never_leave_a_partial_textfile(lake, tmp_path) -> None:
    """The systemd timer and the after-ingest trigger may write at once, and a writer may be
    killed: a reader (node_exporter) must only ever see a whole file, and a killed writer's
    temporary file must not look like a textfile (node_exporter reads ``*.prom`` only)."""
    target = tmp_path / "chainprice.prom"
    argv = [sys.executable, "-m", "chainprice.cli.main", "metrics", "--lake", str(lake)]
    argv += ["--textfile", str(target)]
    rng = random.Random(14)
    reads = 0
    for _ in range(4):
        procs = [subprocess.Popen(argv, env=own_env(), stderr=subprocess.PIPE) for _ in range(3)]
        deadline = time.monotonic() + rng.uniform(0.2, 0.6)
        while time.monotonic() < deadline or any(p.poll() is None for p in procs[1:]):
            if procs[0].poll() is None and time.monotonic() >= deadline:
                procs[0].send_signal(signal.SIGKILL)
            if target.exists():
                assert ("chainprice_lag_blocks", ()) in samples(target.read_text())
                reads += 1
        for proc in procs:
            proc.communicate(timeout=300)
        assert all(p.returncode == 0 for p in procs[1:])
    assert reads > 0
    assert ("chainprice_lag_blocks", ()) in samples(target.read_text())
    assert [p.name for p in tmp_path.glob("*.prom")] == ["chainprice.prom"]
