"""Speed of the cloud functions under functions-framework, the node in its own process.

Measures (1) ``ingest`` of one new block on a cold instance: from spawning a
new ``functions-framework --target ingest`` process (imports included) to
its answer to the first CloudEvent, with exactly one block new since the
last run; (2) the same on the warm instance, block after block; (3) a
``mempool`` refresh on a warm instance after about ``--new`` transactions
arrived. Each figure is repeated ``--repeat`` times; best and median printed.

    uv run --no-sync python -m benchmarks.function_speed [--repeat 5] [--new 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.simnode import simulated_node

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from functions_harness import Function, pubsub_push

AUTH = ("--rpc-user", "u", "--rpc-password", "p")
MINE_EVERY = 6.0
MEMPOOL_RATE = 400.0


def _env(url: str, lake: Path) -> dict[str, str]:
    return {
        "CHAINPRICE_NODE_URL": url,
        "CHAINPRICE_RPC_USER": "u",
        "CHAINPRICE_RPC_PASSWORD": "p",
        "CHAINPRICE_LAKE_URL": str(lake),
        "CHAINPRICE_PRICES_URL": url + "/api",
    }


def _tip(url: str) -> int:
    answer = requests.post(
        url, json={"method": "getblockcount", "params": [], "id": 1}, auth=("u", "p"), timeout=30
    )
    return answer.json()["result"]


def _wait_for_block_after(url: str, tip: int) -> int:
    while (now := _tip(url)) <= tip:
        time.sleep(0.05)
    return now


def _lake_tip(lake: Path) -> int:
    return json.loads((lake / "manifest.json").read_text())["tip_height"]


def _post_when_up(function: Function) -> float:
    """Post the first event as soon as the process listens; seconds since it was spawned."""
    while True:
        try:
            answer = requests.post(function.url, timeout=600, **pubsub_push({}, "cold"))
            break
        except requests.ConnectionError:
            time.sleep(0.02)
    answer.raise_for_status()
    return time.perf_counter()


def _figures(name: str, seconds: list[float]) -> None:
    print(
        f"{name}: best {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s "
        f"({len(seconds)} runs)"
    )


def ingest_speed(repeat: int, work: Path) -> None:
    with simulated_node("--days", "3", "--mine-every", str(MINE_EVERY), *AUTH) as (url, _):
        lake = work / "lake"
        warm = Function("ingest", _env(url, lake), work).wait_ready()
        try:
            warm.post_event().raise_for_status()  # the lake's first fill, not measured
            cold_times, warm_times = [], []
            for _ in range(repeat):
                warm.post_event().raise_for_status()  # catch up: then one block is new
                _wait_for_block_after(url, _lake_tip(lake))
                began = time.perf_counter()
                cold = Function("ingest", _env(url, lake), work)
                try:
                    cold_times.append(_post_when_up(cold) - began)
                finally:
                    cold.stop()
            for _ in range(repeat):
                warm.post_event().raise_for_status()
                _wait_for_block_after(url, _lake_tip(lake))
                began = time.perf_counter()
                warm.post_event().raise_for_status()
                warm_times.append(time.perf_counter() - began)
            blocks = [line.get("blocks") for line in warm.lines() if line["message"] == "ingested"]
        finally:
            warm.stop()
    _figures("ingest, one new block, cold instance (process start to answer)", cold_times)
    _figures("ingest, one new block, warm instance", warm_times)
    print(f"  blocks per warm run (catch-up and measured in turn): {blocks[-2 * repeat :]}")


def mempool_speed(repeat: int, new: int, work: Path) -> None:
    args = ("--days", "1", "--mempool-size", "5000", "--mempool-rate", str(MEMPOOL_RATE))
    with simulated_node(*args, *AUTH) as (url, _):
        function = Function("mempool", _env(url, work / "mempool-lake"), work).wait_ready()
        try:
            function.post_event().raise_for_status()  # the first estimate, not measured
            times = []
            for _ in range(repeat):
                time.sleep(new / MEMPOOL_RATE)
                began = time.perf_counter()
                function.post_event().raise_for_status()
                times.append(time.perf_counter() - began)
            fetched = [line["fetched"] for line in function.lines() if "fetched" in line][-repeat:]
        finally:
            function.stop()
    _figures(f"mempool refresh, warm instance, ~{new:,} new transactions", times)
    print(f"  transactions fetched per measured run: {fetched}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--new", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        ingest_speed(args.repeat, Path(work))
        mempool_speed(args.repeat, args.new, Path(work))


if __name__ == "__main__":
    main()
