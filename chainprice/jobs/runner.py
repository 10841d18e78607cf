"""Running a job: its log lines, its ``runs`` row, and an error that makes the caller retry.

Every job, from a cloud function or the CLI, goes through ``run_job``: it
logs the start and the end (or the one-line error), then records the run in
the lake. A failure is re-raised after it is logged, so Pub/Sub redelivers
the event and the scheduler's next run tries again; the lake's commit
protocol makes the retry safe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from chainprice.jobs.alerts import send_alerts
from chainprice.jobs.logs import ForwardToJobLog, JobLog
from chainprice.jobs.wiring import Wiring

T = TypeVar("T")


@dataclass
class RunFacts:
    """What the job learnt that the ``runs`` row keeps; filled in as the job goes."""

    tip_height: int | None = None
    lake_height: int | None = None
    blocks_ingested: int = 0


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def run_job(
    job: str,
    wiring: Wiring,
    work: Callable[[RunFacts, JobLog], T],
    *,
    run_id: str | None = None,
    quiet: bool = False,
) -> T:
    """Run ``work``, log it and record it; a failure is logged, recorded and raised again.

    ``quiet``: no log lines (the CLI reports in its own words); the row is still recorded.
    """
    run_id = run_id or new_run_id()
    settings = wiring.settings
    log = JobLog(job, run_id, secrets=settings.secrets(), quiet=quiet, fmt=settings.log_format)
    with _forwarding(log, enabled=not quiet):
        return _run(job, wiring, work, run_id, log)


@contextlib.contextmanager
def _forwarding(log: JobLog, *, enabled: bool) -> Iterator[None]:
    logger = logging.getLogger("chainprice")
    handler, propagate = ForwardToJobLog(log), logger.propagate
    if enabled:
        logger.addHandler(handler)
        logger.propagate = False  # one line each, not a second plain-text one from the root
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _run(
    job: str, wiring: Wiring, work: Callable[[RunFacts, JobLog], T], run_id: str, log: JobLog
) -> T:
    started = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    facts = RunFacts()
    log.info(f"{job} started")
    try:
        result = work(facts, log)
    except Exception as exc:
        error = one_line(exc)
        log.error(
            f"{job} failed: {error}",
            error_type=type(exc).__name__,
            seconds=round(time.perf_counter() - began, 3),
        )
        _record(wiring, job, run_id, started, facts, log, error)
        send_alerts(wiring, log, run_id)
        raise
    _record(wiring, job, run_id, started, facts, log, None)
    send_alerts(wiring, log, run_id)
    log.info(
        f"{job} finished",
        seconds=round(time.perf_counter() - began, 3),
        tip_height=facts.tip_height,
        lake_height=facts.lake_height,
        blocks=facts.blocks_ingested,
    )
    return result


def _record(
    wiring: Wiring,
    job: str,
    run_id: str,
    started: dt.datetime,
    facts: RunFacts,
    log: JobLog,
    error: str | None,
) -> None:
    from chainprice.lake.runs import RunRow, record_run

    if not wiring.has_lake:
        return
    row = RunRow(
        run_id=run_id,
        job=job,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        status="ok" if error is None else "error",
        tip_height=facts.tip_height,
        lake_height=facts.lake_height,
        blocks_ingested=facts.blocks_ingested,
        retries=wiring.node_retries(),
        error=error,
    )
    try:
        record_run(wiring.store, row)
    except Exception as exc:
        log.error(f"{job}: the run could not be recorded in the lake: {one_line(exc)}")
        if error is None:
            raise
