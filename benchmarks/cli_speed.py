"""A ``chainprice`` command timed from process start, as a user runs it.

Prints the best and median wall time of ``chainprice --help`` and, with
``--node-day``, of ``chainprice price --date <day>`` against a full-size
simulated day served by the simulated node in its own process, over REST and
JSON-RPC, beside the node's bare download time for the same blocks (the raw
blocks of the day's windows fetched on 8 connections, nothing parsed).

    uv run python benchmarks/cli_speed.py [--repeat 7] [--node-day]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simnode import simulated_node

CHAINPRICE = str(Path(sys.executable).with_name("chainprice"))
DAY = "2025-01-15"


def timed(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return times


def bare_download(url: str, source: str, heights: range, repeat: int) -> list[float]:
    """Seconds to fetch the raw blocks of ``heights`` on 8 connections, nothing checked."""
    from concurrent.futures import ThreadPoolExecutor

    from chainprice.adapters.node import NodeConfig, open_source

    node = open_source(url, source, config=NodeConfig(rpc_user="u", rpc_password="p"))
    hashes = [node.block_hash(h) for h in heights]
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(node.raw_block, hashes))
        times.append(time.perf_counter() - began)
    return times


def show(what: str, times: list[float]) -> None:
    print(f"{what}: best {min(times):.3f} s, median {statistics.median(times):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--node-day", action="store_true")
    args = parser.parse_args()
    show("chainprice --help", timed([CHAINPRICE, "--help"], args.repeat))
    if not args.node_day:
        return
    with simulated_node("--preset", "full", "--rpc-user", "u", "--rpc-password", "p") as (url, _):
        for source in ("rest", "rpc"):
            argv = [CHAINPRICE, "price", "--date", DAY, "--node", url, "--source", source]
            argv += ["--rpc-user", "u", "--rpc-password", "p"]
            show(f"chainprice price over {source}", timed(argv, args.repeat))
            window = json.loads(
                subprocess.run([*argv, "--json"], check=True, capture_output=True).stdout
            )
            canonical = window["canonical"] or window  # null: both windows hold the same blocks
            heights = range(
                window["start_height"], max(window["end_height"], canonical["end_height"])
            )
            show(f"bare download over {source}", bare_download(url, source, heights, args.repeat))


if __name__ == "__main__":
    main()
