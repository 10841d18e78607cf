"""What the scheduled pipeline and a full backfill cost on Google Cloud at list prices.

Storage operations are counted, not guessed: the ``ingest`` job (one new
block) and the ``mempool`` job run here against the simulated node in its
own process, on a store that counts every request by Cloud Storage's
operation class. Run times are the measured warm figures of
``benchmarks/function_speed.py`` (give yours with ``--ingest-seconds`` and
``--mempool-seconds``); the backfill's per-day time and bytes are the
measured figures of ``benchmarks/lake_speed.py`` / ``node_fetch_speed.py``.

The parts the Terraform module adds are priced from what it deploys: the
``health`` calls of its uptime check (their storage requests counted the same
way), its three secrets (read when an instance starts), its two alert
conditions, the jobs' log lines (their bytes measured from the runs above),
the Pub/Sub messages, the source zip (give its path with ``--source-zip``) and
what a BigQuery query over the whole lake would cost.

    uv run --no-sync python -m benchmarks.cloud_cost [--ingest-seconds 0.36] [--mempool-seconds 1.0]
        [--source-zip build/function.zip]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import io
import tempfile
import time
from pathlib import Path

from benchmarks.simnode import simulated_node
from chainprice.adapters.storage.local import LocalStore
from chainprice.jobs.health import health_report
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
# What terraform/ adds (list prices, December 2026).
SECRET_VERSION_MONTH = 0.06
SECRET_ACCESS_PER_10000 = 0.03
ALERT_CONDITION_MONTH = 1.50
ALERT_SERIES_PER_MILLION = 0.35
UPTIME_PER_1000 = 0.30
LOGGING_GIB = 0.50
BIGQUERY_TIB = 6.25
PUBSUB_TIB = 40.0
PUBSUB_MIN_BYTES = 1000  # every publish and delivery is billed as at least 1 kB
FREE_EXTRA = {
    "secret_versions": 6,
    "secret_accesses": 10_000,
    "uptime_runs": 1_000_000,
    "log_gib": 50,
    "bigquery_tib": 1,
    "pubsub_gib": 10,
}
SECRETS = 3  # terraform/main.tf: local.secrets, with the alerts' webhook (as the example has it)
ALERT_CONDITIONS = 2  # terraform/monitoring.tf: job errors, health
ALERT_SERIES = 1 + 5  # health's check, and at most one error series per function
ALERT_PERIODS = MONTH_DAYS * 86_400 / 30  # conditions evaluated every 30 s
UPTIME_REGIONS = 3  # terraform/monitoring.tf: selected_regions
HEALTH_MEMORY_GIB = 0.5  # terraform/main.tf: 512Mi


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


def _ops_per_run(job: str, folder: Path, url: str) -> tuple[collections.Counter[str], int, int]:
    """Storage requests and log bytes of one scheduled run, and requests of one health call."""
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
        with contextlib.redirect_stdout(io.StringIO()) as logged:
            report = run(Wiring(settings, store=store))
        if job == "mempool" or report.blocks == 1:
            ops = collections.Counter(store.ops)
            store.ops.clear()
            health_report(Wiring(settings, store=store))
            return ops, len(logged.getvalue().encode()), sum(store.ops.values())


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
    parser.add_argument("--health-minutes", type=int, default=5, help="the uptime check's period")
    parser.add_argument(
        "--health-seconds", type=float, default=0.1, help="a health call's run time"
    )
    parser.add_argument("--source-zip", type=Path, help="the functions' zip, to price its storage")
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
        ingest_ops, ingest_log, health_ops = _ops_per_run("ingest", Path(work) / "a", url)
        mempool_ops, mempool_log, _ = _ops_per_run("mempool", Path(work) / "b", url)
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
    logs = {"ingest": ingest_log, "mempool": mempool_log}
    extra = _terraform_parts(args, runs, logs, health_ops, lake_gb)
    print("what terraform/ adds, a month:")
    for item, (what, listed, net_cost) in extra.items():
        print(f"  {item:<14} {what}: ${listed:.4f} list, ${net_cost:.4f} after the free tier")
    pipeline = sum(gross.values()) + 2 * SCHEDULER_JOB_MONTH
    pipeline_net = sum(net.values()) + scheduler
    print(
        f"  deployment total ${pipeline + sum(v[1] for v in extra.values()):.2f} list, "
        f"${pipeline_net + sum(v[2] for v in extra.values()):.2f} after the free tier "
        "(the free tier counted once for the pipeline and the health calls together: "
        "they share it)"
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


def _terraform_parts(
    args: argparse.Namespace,
    runs: dict[str, float],
    log_bytes: dict[str, int],
    health_ops: int,
    lake_gb: float,
) -> dict[str, tuple[str, float, float]]:
    """(what, list price, price after the free tier) of each part the module adds."""
    calls = UPTIME_REGIONS * MONTH_DAYS * 1440 / args.health_minutes
    seconds = calls * max(0.1, args.health_seconds)
    health = _money(seconds, seconds * HEALTH_MEMORY_GIB, calls, 0, calls * health_ops, 0)
    starts = (runs["ingest"] + runs["mempool"]) * SECRETS  # at most: every run a cold start
    secrets = SECRETS * SECRET_VERSION_MONTH + starts / 10_000 * SECRET_ACCESS_PER_10000
    secrets_net = (
        max(0, SECRETS - FREE_EXTRA["secret_versions"]) * SECRET_VERSION_MONTH
        + max(0, starts - FREE_EXTRA["secret_accesses"]) / 10_000 * SECRET_ACCESS_PER_10000
    )
    series = ALERT_SERIES * ALERT_PERIODS
    alerts = ALERT_CONDITIONS * ALERT_CONDITION_MONTH + series / 1e6 * ALERT_SERIES_PER_MILLION
    uptime = calls * UPTIME_PER_1000 / 1000
    log_gib = sum(runs[j] * log_bytes[j] for j in runs) / 2**30
    pubsub_gib = 2 * sum(runs.values()) * PUBSUB_MIN_BYTES / 2**30  # published, then delivered
    zip_gb = args.source_zip.stat().st_size / 1e9 if args.source_zip else 0.0
    scan = lake_gb / 1024 * BIGQUERY_TIB
    return {
        "health calls": (
            f"{calls:,.0f} from {UPTIME_REGIONS} regions, {health_ops} class B each",
            sum(health.values()),
            health["class B"],  # its compute and requests fit the free tier with the pipeline's
        ),
        "uptime check": (
            f"{calls:,.0f} runs",
            uptime,
            max(0, calls - FREE_EXTRA["uptime_runs"]) * UPTIME_PER_1000 / 1000,
        ),
        "alerting": (
            f"{ALERT_CONDITIONS} conditions, {series:,.0f} time series read",
            alerts,
            alerts,
        ),
        "secrets": (f"{SECRETS} versions, at most {starts:,.0f} reads", secrets, secrets_net),
        "logging": (
            f"{log_gib * 1024:.1f} MiB of job lines "
            f"({log_bytes['ingest']} B an ingest, {log_bytes['mempool']} B a mempool run)",
            log_gib * LOGGING_GIB,
            max(0, log_gib - FREE_EXTRA["log_gib"]) * LOGGING_GIB,
        ),
        "pubsub": (
            f"{pubsub_gib * 1024:.1f} MiB billed",
            pubsub_gib / 1024 * PUBSUB_TIB,
            max(0, pubsub_gib - FREE_EXTRA["pubsub_gib"]) / 1024 * PUBSUB_TIB,
        ),
        "source zip": (
            f"{zip_gb * 1000:.2f} MB" if args.source_zip else "not measured (--source-zip)",
            zip_gb * STORAGE_GB_MONTH,
            zip_gb * STORAGE_GB_MONTH,
        ),
        "bigquery": (
            f"${scan:.4f} a query reading the whole {lake_gb:.1f} GB lake (1 TiB a month free); "
            "external tables themselves cost nothing",
            0.0,
            0.0,
        ),
    }


if __name__ == "__main__":
    main()
