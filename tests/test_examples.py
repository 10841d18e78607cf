"""examples/analyst_tour.py end to end, as a user runs it: the demo lake built, the figure written
(standalone, nothing fetched from the network), a day priced from the simulated node equal to the
lake's price of it and to what the lake stored."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl

import chainprice

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "examples" / "analyst_tour.py"


def test_the_analyst_tour_runs_and_finds_what_it_says(tmp_path) -> None:
    cells = [line for line in TOUR.read_text().splitlines() if line.startswith("# %%")]
    assert len(cells) >= 6
    done = subprocess.run(
        [sys.executable, str(TOUR), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["days"]) >= 2 and summary["intraday_points"] > 1000
    assert summary["exchange_prices"] > 24
    assert summary["from_node"] == summary["from_lake"]
    day = summary["from_node"]
    assert day["kind"] == "day" and day["date"] == summary["days"][-1] and day["price"] > 0
    assert summary["recent"]["kind"] == "blocks" and summary["recent"]["n_outputs"] > 0

    stored = chainprice.open_lake(str(tmp_path / "lake")).read_polars("prices")
    row = stored.filter((pl.col("kind") == "day") & (pl.col("date").cast(str) == day["date"]))
    assert row["price"].to_list() == [day["price"]]  # what ingest stored, to the last bit
    assert row["exchange_price"].to_list()[0] > 0
    assert f"from the lake: {day['price']!r}, the same result: True" in done.stdout

    page = Path(summary["figure"]).read_text()
    for name in ("on-chain points of", "exchange (simulated price API)", "on-chain day price"):
        assert name in page
    assert "SIMULATED DATA" in page and "Plotly.newPlot" in page
    assert not re.search(r"<script[^>]+src=", page)  # Plotly inlined: opens offline
