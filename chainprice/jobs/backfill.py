"""The ``backfill`` job run in one process (``chainprice backfill``): a range of days, in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from chainprice.jobs.logs import JobLog
from chainprice.jobs.runner import RunFacts, run_job
from chainprice.jobs.wiring import Wiring
from chainprice.lake.ingest import IngestReport


def backfill_job(
    wiring: Wiring,
    first: dt.date,
    last: dt.date,
    *,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    run_id: str | None = None,
    quiet: bool = False,
) -> IngestReport:
    def work(facts: RunFacts, log: JobLog) -> IngestReport:
        from chainprice.lake.backfill import backfill

        report = backfill(
            wiring.store,
            wiring.node,
            first,
            last,
            exchange=wiring.exchange,
            validity=wiring.validity,
            on_start=on_start,
            on_batch=on_batch,
            settings=wiring.lake_settings,
        )
        facts.tip_height, facts.lake_height = report.node_tip, report.lake_height
        facts.blocks_ingested = report.blocks
        log.info(
            "backfilled",
            first_day=first.isoformat(),
            last_day=last.isoformat(),
            blocks=report.blocks,
            days_priced=[d.isoformat() for d in report.days_priced],
            seconds=round(report.seconds, 3),
        )
        return report

    return run_job("backfill", wiring, work, run_id=run_id, quiet=quiet)
