"""The ``runs`` table: one row per job run, and each job's last success and error in the manifest.

A run's row is written under its own name (start time and run id), then one
commit lists it and updates ``latest["jobs"][job]``, the summary ``health``
reads without opening any Parquet. Rows of a finished UTC day are merged
into one object per day (``lake.day_merge``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.manifest import Manifest, commit
from chainprice.lake.parquet_io import read_tables, write_object
from chainprice.lake_schema import run_object, to_table
from chainprice.lake_schema.tables import RUNS


@dataclass(frozen=True)
class RunRow:
    """One run as the ``runs`` table stores it."""

    run_id: str
    job: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str
    tip_height: int | None
    lake_height: int | None
    blocks_ingested: int
    retries: int
    error: str | None

    @property
    def lag_blocks(self) -> int | None:
        if self.tip_height is None or self.lake_height is None:
            return None
        return self.tip_height - self.lake_height


def _summary(previous: dict[str, Any] | None, row: RunRow) -> dict[str, Any]:
    """The job's entry in ``latest["jobs"]``: a later-started run's facts win, whatever order
    the commits land in."""
    entry = dict(previous or {})
    started = row.started_at.isoformat()
    if entry.get("last_started_at", "") <= started:
        entry |= {
            "last_started_at": started,
            "last_run_id": row.run_id,
            "last_status": row.status,
            "tip_height": row.tip_height,
            "lake_height": row.lake_height,
            "lag_blocks": row.lag_blocks,
            "last_duration_seconds": round((row.finished_at - row.started_at).total_seconds(), 3),
        }
    finished = row.finished_at.isoformat()
    key = "last_success_at" if row.status == "ok" else "last_error_at"
    if entry.get(key, "") <= finished:
        entry[key] = finished
        if row.status != "ok":
            entry["last_error"] = row.error
    return entry


def record_run(store: ObjectStore, row: RunRow) -> Manifest:
    """Store ``row`` and list it; returns the manifest committed."""
    fields = asdict(row) | {"lag_blocks": row.lag_blocks}
    name = run_object(row.started_at, row.run_id)
    info = write_object(store, name, to_table("runs", [fields]))

    def apply(m: Manifest) -> None:
        m.add(name, info)
        jobs = m.latest.setdefault("jobs", {})
        jobs[row.job] = _summary(jobs.get(row.job), row)

    return commit(store, [apply])


def read_runs(store: ObjectStore, manifest: Manifest):
    """Every listed run row, as a pyarrow table."""
    return read_tables(store, manifest.names("runs"), RUNS.schema, sizes=manifest.objects)
