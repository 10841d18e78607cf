"""``chainprice metrics`` timed from process start, on a demo lake, to stdout and to a textfile.

Builds the demo lake first (``chainprice demo --no-serve``) unless ``--lake``
names one, then prints the best and median wall time of each form, and the
in-process time of reading the manifest and rendering the metrics.

    uv run python benchmarks/metrics_speed.py [--lake DIR] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHAINPRICE = str(Path(sys.executable).with_name("chainprice"))


def timed(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return times


def show(what: str, times: list[float]) -> None:
    print(f"{what:<40} best {min(times):.3f} s, median {statistics.median(times):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    lake = args.lake or work / "lake"
    if args.lake is None:
        demo = [CHAINPRICE, "demo", "--lake", str(lake), "--no-serve"]
        subprocess.run(demo, check=True, capture_output=True)
    metrics = [CHAINPRICE, "metrics", "--lake", str(lake)]
    show("chainprice metrics (stdout)", timed(metrics, args.repeat))
    textfile = ["--textfile", str(work / "chainprice.prom")]
    show("chainprice metrics --textfile", timed([*metrics, *textfile], args.repeat))

    from prometheus_client import generate_latest

    from chainprice.adapters.storage import open_store
    from chainprice.jobs.metrics import lake_metrics
    from chainprice.lake.manifest import load_manifest

    store = open_store(str(lake))
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        text = generate_latest(lake_metrics(load_manifest(store)))
        times.append(time.perf_counter() - began)
    families = text.count(b"# TYPE")
    show(f"in process ({len(text)} bytes, {families} families)", times)


if __name__ == "__main__":
    main()
