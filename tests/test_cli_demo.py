"""``chainprice demo``: once with ``--no-serve`` (twice into one lake: the second ingests
nothing), and served: the site, its simulated-data notice and the jobs' updates, Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from chainprice.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def test_second_demo_ingests_no_block_and_says_what_the_comparison_fetches(
    capsys, tmp_path
) -> None:
    lake = str(tmp_path / "lake")
    assert main(["demo", "--lake", lake, "--no-serve"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--lake", lake, "--no-serve"]) == 0
    second = capsys.readouterr().out
    assert first.startswith("SIMULATED DATA")
    assert re.search(r"ingested [1-9]\d* blocks", first)
    assert "ingested 0 blocks" in second
    line = next(x for x in second.splitlines() if "from node" in x)
    assert "the same as the lake's: True" in line
    assert re.search(r"fetched again for this comparison only, [1-9]\d* requests", line)
    assert re.search(r"mempool +\$[\d,]+ UNCONFIRMED", first)
    config = json.loads((tmp_path / "lake" / "site" / "config.json").read_text())
    assert config["notice"].startswith("SIMULATED DATA")
    feed = json.loads((tmp_path / "lake" / "latest.json").read_text())
    assert all(feed[name]["price"] > 0 for name in ("day", "recent", "mempool"))


def test_served_demo_shows_the_site_and_stops_on_ctrl_c(tmp_path) -> None:
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainprice.cli.main",
            "demo",
            "--lake",
            str(tmp_path / "lake"),
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        url = None
        while url is None and time.monotonic() < deadline:
            line = demo.stdout.readline()
            assert line, "the demo ended before serving"
            match = re.search(r"the site is at (http://\S+)", line)
            url = match.group(1) if match else None
        page = requests.get(url, timeout=30)
        assert page.status_code == 200 and 'data-testid="notice"' in page.text
        assert requests.get(url + "config.json", timeout=30).json()["notice"]
        scheduled = [demo.stdout.readline() for _ in range(3)]  # the jobs keep running
        assert any("[mempool]" in x and "UNCONFIRMED" in x for x in scheduled), scheduled
    finally:
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=90) == 0
