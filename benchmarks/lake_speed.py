"""The lake's speed on full-size simulated days served by the simulated node (own process).

Prints: the backfill of --days full-size days into a fresh local lake (wall
seconds, blocks, lake size per day); then one new block at a time ingested
into that lake (each a fresh ``ingest`` call, reading the manifest and the
lookback from disk as a stateless function would); then a day price and a
recent-144 price answered from the lake alone, inside a process, file reads
included (best and median of --repeat), checked equal to the node's price;
then ``chainprice lake check`` of the whole lake, as a process.

The commit figure is the time each one-block ingest spent in the commit
protocol (reading the manifest, merging, compare-and-swap, keeping the
version in the history): what it costs over writing the manifest blindly.

    uv run python benchmarks/lake_speed.py [--days 30] [--new-blocks 5] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simnode import simulated_node

FIRST = dt.date(2025, 1, 16)  # the full-size chain starts 2025-01-15 with an hour of lead


def _node(url: str):
    from chainprice.adapters.node import NodeChain, NodeConfig, open_source

    return NodeChain(open_source(url, "rest", config=NodeConfig()), workers=8)


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    times, value = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--new-blocks", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from chainprice.adapters.storage import open_store
    from chainprice.core import parse_block, price_day
    from chainprice.lake.backfill import backfill
    from chainprice.lake.ingest import LakeSettings, ingest
    from chainprice.lake.manifest import load_manifest
    from chainprice.lake.window_prices import day_price, recent_price

    last = FIRST + dt.timedelta(days=args.days - 1)
    days = ("--days", str(args.days + 2), "--rpc-user", "u", "--rpc-password", "p")
    with simulated_node("--preset", "full", *days) as (url, startup):
        print(f"node: {args.days + 2} full-size days generated and served in {startup:.1f} s")
        node = _node(url)
        folder = Path(tempfile.mkdtemp(prefix="lake-bench-"))
        store = open_store(str(folder))
        began = time.perf_counter()
        # No reader holds an older manifest here: the backfill's replaced staged objects go
        # at once, so the lake and its manifest are what they are an hour later in service.
        report = backfill(store, node, FIRST, last, settings=LakeSettings(grace_seconds=0))
        seconds = time.perf_counter() - began
        print(
            f"backfill {FIRST}..{last}: {seconds:.1f} s, {report.blocks} blocks, "
            f"{len(report.days_priced)} days priced, lake {_size_mb(folder):.0f} MB "
            f"({_size_mb(folder) / args.days:.1f} MB per day)"
        )

        tip = load_manifest(store).tip_height
        for recent in (False, True):
            times, commits = [], []
            for _ in range(args.new_blocks):
                tip += 1
                began = time.perf_counter()
                one = ingest(store, _node(url), stop_height=tip, recent=recent)
                times.append(time.perf_counter() - began)
                commits.append(one.commit_seconds)
            what = "ingest one new block" + (" + its recent-144 price" if recent else "")
            print(
                f"{what}: median {statistics.median(times):.3f} s, "
                f"max {max(times):.3f} s over {len(times)} blocks; in commits: median "
                f"{statistics.median(commits) * 1e3:.1f} ms, max {max(commits) * 1e3:.1f} ms"
            )

        day = last
        best, median, from_lake = _timed(
            lambda: day_price(store, load_manifest(store), day), args.repeat
        )
        print(f"day price from the lake: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
        best, median, _ = _timed(lambda: recent_price(store, load_manifest(store)), args.repeat)
        print(f"recent-144 from the lake: best {best * 1e3:.0f} ms, median {median * 1e3:.0f} ms")
        fresh = _node(url)
        from chainprice.lake.reader import LakeBlocks

        lake_tip = LakeBlocks(store, load_manifest(store)).block_count()
        assert lake_tip <= fresh.block_count()
        direct = price_day(fresh, lambda a, b: fresh.iter_blocks(a, b, parse_block), day)
        print(f"equal to the node's price: {from_lake.price == direct.price} ({from_lake.price!r})")
        began = time.perf_counter()
        checked = subprocess.run(
            [sys.executable, "-m", "chainprice.cli.main", "lake", "check", "--lake", str(folder)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        print(
            f"lake check (a process): {time.perf_counter() - began:.2f} s, exit "
            f"{checked.returncode}: {checked.stdout.strip().splitlines()[-1]}"
        )


if __name__ == "__main__":
    main()
