"""End-to-end price of a full-size simulated day fetched from the simulated node over loopback.

The node runs in its own process; the client fetches on 8 connections and
parses each block as it arrives. Prints, per protocol, the wall time of
``price_day`` (best and median of --repeat runs, numba kernels already
compiled), MB received and requests; then the same under injected faults
(10 % errors, 5 % drops, 5 % truncations), with the retries needed.

    uv run python benchmarks/node_price_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simnode import simulated_node

DAY = "2025-01-15"
FAULTS = ("--error-rate", "0.10", "--drop-rate", "0.05", "--truncate-rate", "0.05")


def price_once(url: str, source: str) -> tuple[float, float, dict]:
    import datetime as dt

    from chainprice.adapters.node import NodeChain, NodeConfig, open_source
    from chainprice.core import parse_block, price_day

    config = NodeConfig(rpc_user="u", rpc_password="p", retries=10, backoff_base=0.05)
    base = f"{url}/api" if source == "esplora" else url
    chain = NodeChain(open_source(base, source, config=config), workers=8, retries=10)
    began = time.perf_counter()
    result = price_day(
        chain, lambda a, b: chain.iter_blocks(a, b, parse_block), dt.date.fromisoformat(DAY)
    )
    return time.perf_counter() - began, result.price, chain.stats.snapshot()


def run(args: list[str], repeat: int, label: str) -> None:
    with simulated_node("--preset", "full", "--rpc-user", "u", "--rpc-password", "p", *args) as (
        url,
        startup,
    ):
        print(f"{label}: node generated and started in {startup:.1f} s")
        price_once(url, "rest")  # compile or load the kernels, warm the node's caches
        for source in ("rest", "rpc", "esplora"):
            times, prices, stats = [], set(), {}
            for _ in range(repeat):
                seconds, price, stats = price_once(url, source)
                times.append(seconds)
                prices.add(price)
            print(
                f"  {source:8s} best {min(times):.3f} s  median {statistics.median(times):.3f} s  "
                f"{stats['bytes'] / 1e6:.0f} MB  {stats['requests']} requests  "
                f"{stats['retries']} retries  price {sorted(prices)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run([], args.repeat, "clean node")
    run(list(FAULTS), max(1, args.repeat // 2), "faulty node")


if __name__ == "__main__":
    main()
