"""The static site's speed in headless Chromium, served locally (gzip, ranges) from a lake
with two years of daily prices and one day's intraday points (the golden day's 26,045), a
fresh browser profile per run.

The day prices are written as finished days' objects and then merged by month with the
lake's own compaction (``chainprice.lake.compaction``, what ``ingest`` runs): 24 month
objects and the current month's days. ``--no-compaction`` leaves the 730 day objects.

Prints, best and median of --repeat: time from navigation to the headline prices and to
every chart drawn (with the page's own marks in between), the bytes the server sent
before the headline and in all (headers and bodies), and the number of requests.

    uv run --no-sync python benchmarks/site_speed.py [--days 730] [--repeat 3] [--no-compaction]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from chainprice.adapters.file_server import FileServer, RangeRequestHandler  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


MARKS = {
    "plotly": "Plotly loaded",
    "duckdb": "DuckDB-WASM started",
    "fetched": "first charts' small objects fetched and registered",
    "day_read": "opening day's points and fit read",
    "day": "intraday scatter and histogram drawn",
    "days": "daily prices read",
    "history": "history chart and stats drawn",
}
"""The page's own marks (``window.chainprice.marks``), in the order they usually come."""


class Traffic:
    """Every response's end time (unix seconds) and bytes, as the server wrote them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[float, int, str]] = []

    def clear(self) -> None:
        with self.lock:
            self.sent.clear()


class _Counter:
    def __init__(self, raw) -> None:
        self.raw, self.bytes = raw, 0

    def write(self, data) -> int:
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class CountingHandler(RangeRequestHandler):
    traffic: Traffic

    def setup(self) -> None:
        super().setup()
        self.wfile = _Counter(self.wfile)

    def handle_one_request(self) -> None:
        self.wfile.bytes = 0
        super().handle_one_request()
        if self.wfile.bytes:
            with self.traffic.lock:
                self.traffic.sent.append((time.time(), self.wfile.bytes, self.path))


def make_lake(folder: Path, days: int, compacted: bool) -> None:
    """The lake: its day prices merged by month as ingest does, unless ``compacted`` is false."""
    from site_lake import commit, compact, compared, day_row, golden_lake, put_day

    store, manifest, last = golden_lake(folder)
    real = day_row(store, last)
    for back in range(days - 1, 0, -1):
        price = real["price"] * (1 + 0.3 * math.sin(back / 60))
        row = compared(real, price, price / (1 + 0.01 * math.cos(back)))
        put_day(store, manifest, last - dt.timedelta(days=back), row, published=True)
    put_day(store, manifest, last, compared(real, real["price"], real["price"] / 1.004))
    commit(store, manifest)
    if compacted:
        compact(store)


def one_run(playwright, url: str, traffic: Traffic) -> dict:
    traffic.clear()
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(
            "() => window.chainprice"
            " && (window.chainprice.ready || window.chainprice.errors.length)",
            timeout=120_000,
        )
        info = page.evaluate("({...window.chainprice, origin: performance.timeOrigin})")
        context.close()
    if info["errors"]:
        raise SystemExit(f"the page failed: {info['errors']}")
    headline_at = (info["origin"] + info["headline"]) / 1000
    with traffic.lock:
        sent = list(traffic.sent)
    return {
        "headline": info["headline"] / 1000,
        "ready": info["ready"] / 1000,
        "marks": {k: v / 1000 for k, v in info["marks"].items()},
        "before_headline": sum(b for t, b, _ in sent if t <= headline_at),
        "total": sum(b for _, b, _ in sent),
        "requests": len(sent),
        "parquet_requests": sum(1 for *_, p in sent if p.endswith(".parquet")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-compaction",
        action="store_true",
        help="leave one object per day (the lake before month compaction)",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from chainprice.sitebuild import build_site

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        make_lake(root / "lake", args.days, not args.no_compaction)
        build_site(root / "site", "../lake/")
        manifest = json.loads((root / "lake" / "manifest.json").read_text())
        objects = len(manifest["files"]["prices"])
        print(
            f"lake of {args.days} days ({objects} price objects) and site built in "
            f"{time.perf_counter() - began:.1f} s; load average {os.getloadavg()[0]:.2f}"
        )
        traffic = Traffic()
        handler = type("Handler", (CountingHandler,), {"traffic": traffic})
        server = FileServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/site/"
        with sync_playwright() as playwright:
            runs = [one_run(playwright, url, traffic) for _ in range(args.repeat)]
        server.shutdown()

    def row(
        label: str, values: list[float], unit: str, scale: float = 1.0, digits: int = 2
    ) -> None:
        best, median = min(values) * scale, statistics.median(values) * scale
        print(f"| {label} | {best:,.{digits}f} {unit} | {median:,.{digits}f} {unit} |")

    print("| what | best | median |\n|---|---|---|")
    row("headline prices visible (from navigation)", [r["headline"] for r in runs], "s")
    for mark, what in MARKS.items():
        row(f"{what} (mark {mark})", [r["marks"][mark] for r in runs], "s")
    row("every chart drawn", [r["ready"] for r in runs], "s")
    row("bytes before the headline", [r["before_headline"] for r in runs], "kB", 1e-3, 1)
    row("bytes in all", [r["total"] for r in runs], "MB", 1e-6, 2)
    row("requests", [r["requests"] for r in runs], "", digits=0)
    row("of which Parquet (whole or ranges)", [r["parquet_requests"] for r in runs], "", digits=0)


if __name__ == "__main__":
    main()
