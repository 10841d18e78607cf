"""Speed of the mempool estimate over JSON-RPC against the simulated node in its own process.

Measures (1) the first estimate on a mempool of ``--size`` (50,000)
transactions: listing, fetching every transaction, the recent blocks, and
the price; (2) a refresh after about ``--new`` (2,000) transactions arrived;
the client's own CPU time is printed beside the wall time, since the
simulated node (Python) is slower to answer than Bitcoin Core; (3) the CPU
share of ``chainprice mempool --watch 5`` over ``--watch-seconds`` while the
node's mempool moves at mainnet's pace (7 transactions a second).

    uv run --no-sync python -m benchmarks.mempool_speed [--size 50000] [--new 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.simnode import ROOT, simulated_node
from chainprice import core  # noqa: F401 (numba cache set-up before the kernels load)
from chainprice.adapters.node import NodeConfig, open_source
from chainprice.adapters.node.mempool_tracker import MempoolTracker
from chainprice.core.mempool import mempool_price

AUTH = ("--rpc-user", "u", "--rpc-password", "p")
ARRIVAL_RATE = 400.0


def _estimate(tracker: MempoolTracker) -> tuple[float, float, int, float]:
    """Wall seconds, this process's CPU seconds (the client's own cost), fetched, price."""
    began, cpu = time.perf_counter(), time.process_time()
    snap = tracker.refresh()
    result = mempool_price(
        snap.txs, snap.mempool_txids, snap.confirmed, snap.tip, n_received=snap.n_received
    )
    return time.perf_counter() - began, time.process_time() - cpu, snap.n_fetched, result.price


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speed(size: int, new: int) -> None:
    args = ("--mempool-size", str(size), "--mempool-rate", str(ARRIVAL_RATE), *AUTH)
    with simulated_node(*args) as (url, started):
        print(f"simulated node with {size:,} mempool transactions up in {started:.1f} s")
        source = open_source(url, "rpc", config=NodeConfig(rpc_user="u", rpc_password="p"))
        tracker = MempoolTracker(source)
        seconds, cpu, fetched, price = _estimate(tracker)
        print(
            f"first estimate: {seconds:.2f} s, client CPU {cpu:.2f} s "
            f"({fetched:,} transactions fetched, ${price:,.0f})"
        )
        period = new / ARRIVAL_RATE
        while True:  # catch up until a refresh is shorter than the arrival period
            began = time.monotonic()
            _estimate(tracker)
            if time.monotonic() - began < period:
                break
        time.sleep(max(0.0, period - (time.monotonic() - began)))
        seconds, cpu, fetched, price = _estimate(tracker)
        print(
            f"refresh: {seconds:.2f} s, client CPU {cpu:.2f} s "
            f"({fetched:,} new transactions fetched, ${price:,.0f})"
        )


def watch_share(seconds: float) -> None:
    args = ("--mempool-size", "20000", "--mempool-rate", "7", *AUTH)
    with simulated_node(*args) as (url, _):
        command = [sys.executable, "-m", "chainprice.cli.main", "mempool", "--node", url, *AUTH]
        watch = subprocess.Popen(
            [*command, "--watch", "5"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            watch.stdout.readline()  # the first estimate fetches everything: not counted
            began, cpu = time.monotonic(), _cpu_seconds(watch.pid)
            lines = 0
            while time.monotonic() - began < seconds:
                watch.stdout.readline()
                lines += 1
            share = (_cpu_seconds(watch.pid) - cpu) / (time.monotonic() - began)
        finally:
            watch.terminate()
            watch.wait(timeout=30)
        print(f"--watch 5: {100 * share:.1f} % of a core over {lines} refreshes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--new", type=int, default=2_000)
    parser.add_argument("--watch-seconds", type=float, default=60.0)
    args = parser.parse_args()
    speed(args.size, args.new)
    watch_share(args.watch_seconds)


if __name__ == "__main__":
    main()
