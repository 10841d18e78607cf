"""``python -m chainprice.nodesim`` as a process: ready line, answers, clean exit on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from chainprice.simchain import compact_day

READY_TIMEOUT = 120


def start(*args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "chainprice.nodesim", "--port", "0", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ready_fields(proc: subprocess.Popen[str]) -> dict[str, str]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("nodesim ready "), (line, proc.stderr.read() if proc.stderr else "")
    return dict(word.split("=", 1) for word in line.split()[2:])


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_process_serves_then_stops_cleanly_on_a_signal(tmp_path: Path, stop_signal):
    proc = start("--preset", "compact", "--price", "61000", "--datadir", str(tmp_path))
    try:
        fields = ready_fields(proc)
        cookie = Path(fields["cookie"])
        assert cookie == tmp_path / ".cookie" and cookie.exists()
        auth = tuple(cookie.read_text().split(":"))
        count = requests.post(fields["url"], json={"method": "getblockcount", "id": 1}, auth=auth)
        first, last = map(int, fields["blocks"].split(".."))
        assert (first, count.json()["result"]) == (compact_day().start_height, last)
        assert fields["esplora"] == fields["url"] + "/api"
        tip = requests.get(fields["esplora"] + "/blocks/tip/height").text
        assert int(tip) == count.json()["result"]
        prices = requests.get(fields["prices"] + "/prices").json()
        assert 0.9 * 61000 < prices["USD"] < 1.1 * 61000
    finally:
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=30) == 0
    assert not cookie.exists()


def test_process_serves_a_golden_folder_with_a_password(tmp_path: Path):
    golden = Path(__file__).parent / "data" / "golden" / "g1_42k"
    proc = start("--chain", str(golden), "--rpc-user", "u", "--rpc-password", "p")
    try:
        fields = ready_fields(proc)
        assert fields["cookie"] == "-"
        reply = requests.post(
            fields["url"], json={"method": "getbestblockhash", "id": 1}, auth=("u", "p")
        )
        assert reply.json()["result"] == requests.get(fields["esplora"] + "/blocks/tip/hash").text
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_bad_arguments_end_in_one_line_and_exit_code_2(tmp_path: Path):
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "chainprice.nodesim",
            "--chain",
            str(tmp_path),
            "--datadir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1] == (
        f"nodesim: error: {tmp_path} has no index.json (not a golden-layout chain)"
    )


def test_without_password_or_datadir_the_cookie_goes_to_a_temporary_folder() -> None:
    import re
    import signal

    chain = str(Path(__file__).parent / "data" / "golden" / "g1_42k")
    node = subprocess.Popen(
        [sys.executable, "-m", "chainprice.nodesim", "--chain", chain, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = node.stdout.readline()
        cookie = Path(re.search(r"cookie=(\S+)", ready)[1])
        assert cookie.is_file() and cookie.read_text().startswith("__cookie__:")
    finally:
        node.send_signal(signal.SIGINT)
        node.wait(timeout=30)
    assert node.returncode == 0 and not cookie.parent.exists()
