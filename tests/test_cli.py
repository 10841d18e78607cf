"""The ``chainprice`` command as a user runs it: a separate process, text and JSON out."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys

from conftest import GOLDEN, expected

CHAIN = str(GOLDEN / "g2_97k")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_price_of_a_day_as_json() -> None:
    out = run("price", "--chain", CHAIN, "--date", "2024-12-05", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    ref = expected()["chains"]["g2_97k"]["results"][0]
    assert result["price"] == ref["price_exact"]
    window = (result["start_height"], result["end_height"], result["rough_price"])
    assert window == (872559, 872692, ref["rough"])
    assert (result["canonical"]["start_height"], result["canonical"]["end_height"]) == (
        872559,
        872694,
    )
    assert "points" not in result


def test_recent_blocks_with_points() -> None:
    out = run("price", "--chain", CHAIN, "--recent", "--json", "--points")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    ref = expected()["chains"]["g2_97k"]["results"][1]
    assert result["kind"] == "blocks" and result["price"] == ref["price_exact"]
    assert len(result["points"]["price"]) == ref["n_plotted"]


def test_default_run_prices_the_built_in_simulated_chain() -> None:
    out = run("price")
    assert out.returncode == 0, out.stderr
    price = int(re.search(r"On-chain price for \S+: \$([\d,]+)", out.stdout)[1].replace(",", ""))
    planted = float(re.search(r"planted +\$([\d,]+)", out.stdout)[1].replace(",", ""))
    assert abs(price / planted - 1) < 0.01


def test_bad_input_is_one_clear_line_and_exit_code_2() -> None:
    early = run("price", "--chain", CHAIN, "--date", "2023-12-14")
    assert early.returncode == 2
    assert "2023-12-14 is before 2023-12-15" in early.stderr
    open_day = run("price", "--chain", CHAIN, "--date", "2024-12-06")
    assert open_day.returncode == 2 and "latest date is 2024-12-05" in open_day.stderr
    missing = run("price", "--chain", "/nonexistent/folder")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_date = run("price", "--chain", CHAIN, "--date", "2024-02-30")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr


def test_a_corrupt_block_file_is_named_with_height_and_offset(tmp_path) -> None:
    chain = tmp_path / "chain"
    shutil.copytree(GOLDEN / "g1_42k", chain)
    with gzip.open(chain / "834400.bin.gz") as f:
        raw = f.read()
    with gzip.open(chain / "834400.bin.gz", "wb") as f:
        f.write(raw[: len(raw) // 2])
    out = run("price", "--chain", str(chain), "--date", "2024-03-15")
    assert out.returncode == 2
    assert re.search(r"block 834400, byte offset \d+: .*truncated", out.stderr), out.stderr
