"""What the scheduled pipeline and a full backfill cost on Google Cloud at list prices.

Storage operations are counted, not guessed: the ``ingest`` job (one new
block) and the ``mempool`` job run here against the simulated node in its
own process, on a store that counts every request by Cloud Storage's
operation class. Run times are the measured warm figures of
``benchmarks/function_speed.py`` (give yours with ``--ingest-seconds`` and
``--mempool-seconds``); the backfill's per-day time and bytes are the
measured figures of ``benchmarks/lake_speed.py`` / ``node_fetch_speed.py``.

    uv run --no-sync python -m benchmarks.cloud_cost [--ingest-seconds 0.36] [--mempool-seconds 1.0]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import tempfile
import time
from pathlib import Path

from benchmarks.simnode import simulated_node
from chainprice.adapters.storage.local import LocalStore
from chainprice.jobs.ingest import ingest_job
from chainprice.jobs.mempool import mempool_job
from chainprice.jobs.settings import load_settings
from chainprice.jobs.wiring import Wiring

# List prices, us-central1, December 2026 (Cloud Run functions are billed as Cloud Run services,
# request-based billing, tier 1 region).
VCPU_SECOND = 0.000024
GIB_SECOND = 0.0000025
PER_MILLION_REQUESTS = 0.40
STORAGE_GB_MONTH = 0.020
CLASS_A_PER_1000 = 0.005
CLASS_B_PER_1000 = 0.0004
SCHEDULER_JOB_MONTH = 0.10
FREE = {"vcpu_s": 180_000, "gib_s": 360_000, "requests": 2_000_000, "scheduler_jobs": 3}
INTERNET_EGRESS_GB = 0.12
MONTH_DAYS = 30.4
INGEST_PER_DAY = 24 * 6  # every 10 minutes
MEMPOOL_PER_DAY = 24 * 12  # every 5 minutes
VCPUS, MEMORY_GIB = 1.0, 1.0
LAKE_MB_PER_DAY = 22.4  # README, The lake: a full-size day's objects
BACKFILL_SECONDS_PER_DAY = 206 / 30  # benchmarks/lake_speed.py: 30 full-size days, one process
NODE_MB_PER_DAY = 220  # benchmarks/node_fetch_speed.py: a day's raw blocks over REST


class CountingStore(LocalStore):
    """A local folder that counts requests the way Cloud Storage bills them."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.ops: collections.Counter[str] = collections.Counter()

    def put(self, name: str, data: bytes, *, create_only: bool = False) -> bool:
        self.ops["A"] += 1
        return super().put(name, data, create_only=create_only)

    def put_if(self, name: str, data: bytes, token: str | None) -> bool:
        self.ops["A"] += 1
        return super().put_if(name, data, token)

    def list_details(self, prefix: str = ""):
        self.ops["A"] += 1
        return super().list_details(prefix)

    def get(self, name: str) -> bytes:
        self.ops["B"] += 1
        return super().get(name)

    def get_versioned(self, name: str):
        self.ops["B"] += 1
        return super().get_versioned(name)

    def exists(self, name: str) -> bool:
        self.ops["B"] += 1
        return super().exists(name)


def _ops_per_run(job: str, folder: Path, url: str) -> collections.Counter[str]:
    env = {
        "CHAINPRICE_NODE_URL": url,
        "CHAINPRICE_RPC_USER": "u",
        "CHAINPRICE_RPC_PASSWORD": "p",
        "CHAINPRICE_LAKE_URL": str(folder),
        "CHAINPRICE_PRICES_URL": url + "/api",
    }
    settings = load_settings(env)
    store = CountingStore(str(folder))
    run = ingest_job if job == "ingest" else mempool_job
    run(Wiring(settings, store=store), quiet=True)  # the lake's first fill, not counted
    while True:  # then the run a schedule makes: one new block, or a mempool refresh
        time.sleep(1)
        store.ops.clear()
        report = run(Wiring(settings, store=store), quiet=True)
        if job == "mempool" or report.blocks == 1:
            return store.ops


def _money(vcpu_s: float, gib_s: float, requests: float, a: float, b: float, gb: float) -> dict:
    return {
        "cpu": vcpu_s * VCPU_SECOND,
        "memory": gib_s * GIB_SECOND,
        "requests": requests / 1e6 * PER_MILLION_REQUESTS,
        "class A": a / 1000 * CLASS_A_PER_1000,
        "class B": b / 1000 * CLASS_B_PER_1000,
        "storage": gb * STORAGE_GB_MONTH,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-seconds", type=float, default=0.36)
    parser.add_argument("--mempool-seconds", type=float, default=1.0)
    parser.add_argument(
        "--lake-days", type=int, default=(dt.date(2026, 12, 1) - dt.date(2023, 12, 15)).days
    )
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--node-uplink-mbit", type=float, default=100.0)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as work,
        simulated_node(
            "--days",
            "3",
            "--mine-every",
            "3",
            "--mempool-size",
            "3000",
            "--mempool-rate",
            "20",
            "--rpc-user",
            "u",
            "--rpc-password",
            "p",
        ) as (url, _),
    ):
        ingest_ops = _ops_per_run("ingest", Path(work) / "a", url)
        mempool_ops = _ops_per_run("mempool", Path(work) / "b", url)
    runs = {"ingest": INGEST_PER_DAY * MONTH_DAYS, "mempool": MEMPOOL_PER_DAY * MONTH_DAYS}
    seconds = {"ingest": args.ingest_seconds, "mempool": args.mempool_seconds}
    ops = {"ingest": ingest_ops, "mempool": mempool_ops}
    print(
        "per run, counted: "
        + ", ".join(f"{job} {ops[job]['A']} class A + {ops[job]['B']} class B" for job in ops)
    )
    vcpu_s = sum(runs[j] * max(0.1, seconds[j]) * VCPUS for j in runs)
    gib_s = sum(runs[j] * max(0.1, seconds[j]) * MEMORY_GIB for j in runs)
    requests = sum(runs.values())
    a = sum(runs[j] * ops[j]["A"] for j in runs)
    b = sum(runs[j] * ops[j]["B"] for j in runs)
    lake_gb = args.lake_days * LAKE_MB_PER_DAY / 1000
    gross = _money(vcpu_s, gib_s, requests, a, b, lake_gb)
    net = _money(
        max(0, vcpu_s - FREE["vcpu_s"]),
        max(0, gib_s - FREE["gib_s"]),
        max(0, requests - FREE["requests"]),
        a,
        b,
        lake_gb,
    )
    scheduler = max(0, 2 - FREE["scheduler_jobs"]) * SCHEDULER_JOB_MONTH
    print(
        f"scheduled pipeline, a month: {requests:,.0f} invocations, {vcpu_s:,.0f} vCPU-s, "
        f"{gib_s:,.0f} GiB-s, {a:,.0f} class A and {b:,.0f} class B operations, "
        f"a {lake_gb:.1f} GB lake ({args.lake_days} days)"
    )
    for item in gross:
        print(f"  {item:<9} ${gross[item]:8.4f} list, ${net[item]:8.4f} after the free tier")
    print(f"  scheduler ${2 * SCHEDULER_JOB_MONTH:.2f} list, ${scheduler:.2f} after the free tier")
    print(
        f"  total     ${sum(gross.values()) + 2 * SCHEDULER_JOB_MONTH:8.4f} list, "
        f"${sum(net.values()) + scheduler:8.4f} after the free tier (egress to viewers extra: "
        f"${INTERNET_EGRESS_GB}/GB)"
    )

    blocks = args.lake_days * 144
    node_gb = args.lake_days * NODE_MB_PER_DAY / 1000
    cpu = args.lake_days * BACKFILL_SECONDS_PER_DAY
    money = _money(cpu * VCPUS, cpu * 2.0, args.lake_days / 3, 0, 0, 0)
    wire_hours = node_gb * 8000 / args.node_uplink_mbit / 3600
    print(
        f"full backfill since 2023-12-15: {blocks:,} blocks, {node_gb:,.0f} GB from the node, "
        f"{cpu / 3600:.1f} h of function time (1 vCPU, 2 GiB), "
        f"${sum(money.values()):.2f} at list prices (inside the monthly free tier), "
        f"wall time with {args.workers} workers {cpu / args.workers / 3600:.1f} h of compute, "
        f"but at least {wire_hours:.1f} h for the node's {args.node_uplink_mbit:g} Mbit/s uplink"
    )


if __name__ == "__main__":
    main()
