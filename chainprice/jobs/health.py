"""The ``health`` answer: lag behind the node, each job's last success and last error.

It reads the manifest only (one small object): each run's commit keeps its
job's summary there (``lake.runs``), so the check costs one request however
long the ``runs`` table grows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chainprice.jobs.wiring import Wiring


def _age(stamp: str | None, now: dt.datetime) -> float | None:
    if stamp is None:
        return None
    return (now - dt.datetime.fromisoformat(stamp)).total_seconds()


def health_report(wiring: Wiring, now: dt.datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """Whether the pipeline is healthy, and the facts behind the verdict (JSON-ready)."""
    from chainprice.lake.manifest import load_manifest

    now = now or dt.datetime.now(dt.UTC)
    limits = wiring.settings.health
    manifest = load_manifest(wiring.store)
    jobs: dict[str, Any] = manifest.latest.get("jobs", {})
    problems: list[str] = []
    for job in limits.jobs:
        entry = jobs.get(job)
        age = _age(entry.get("last_success_at") if entry else None, now)
        if age is None:
            problems.append(f"{job} has never succeeded")
        elif age > limits.max_silence_seconds:
            problems.append(
                f"{job} last succeeded {age:.0f} s ago (limit {limits.max_silence_seconds:.0f} s)"
            )
    lag = jobs.get("ingest", {}).get("lag_blocks")
    if lag is not None and lag > limits.max_lag_blocks:
        problems.append(f"the lake is {lag} blocks behind the node (limit {limits.max_lag_blocks})")
    body = {
        "status": "ok" if not problems else "unhealthy",
        "problems": problems,
        "checked_at": now.isoformat(timespec="seconds"),
        "lake": {"tip_height": manifest.tip_height, "manifest_version": manifest.version},
        "lag_blocks": lag,
        "jobs": {
            job: {
                key: entry.get(key)
                for key in (
                    "last_status",
                    "last_started_at",
                    "last_success_at",
                    "last_error_at",
                    "last_error",
                    "tip_height",
                    "lake_height",
                    "lag_blocks",
                )
            }
            for job, entry in sorted(jobs.items())
        },
    }
    return not problems, body
