"""The ``ingest`` job: new blocks, the days they settle, the latest 144 blocks, compaction,
the exchange fields a down price API left empty, and the run's row."""

from __future__ import annotations

from collections.abc import Callable

from chainprice.jobs.logs import JobLog
from chainprice.jobs.runner import RunFacts, run_job
from chainprice.jobs.wiring import Wiring
from chainprice.lake.ingest import IngestReport


def ingest_job(
    wiring: Wiring,
    *,
    start_height: int | None = None,
    stop_height: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    run_id: str | None = None,
    quiet: bool = False,
) -> IngestReport:
    """Bring the lake up to the node's tip; ``start_height`` applies to an empty lake only."""

    def work(facts: RunFacts, log: JobLog) -> IngestReport:
        from chainprice.lake.ingest import ingest

        report = ingest(
            wiring.store,
            wiring.node,
            start_height=wiring.settings.start_height if start_height is None else start_height,
            stop_height=stop_height,
            validity=wiring.validity,
            exchange=wiring.exchange,
            on_batch=on_batch,
            settings=wiring.lake_settings,
        )
        facts.tip_height = report.node_tip
        facts.lake_height = report.lake_height
        facts.blocks_ingested = report.blocks
        log.info(
            "ingested" if not report.node_behind else "the node is behind the lake: nothing to do",
            first_height=report.first_height,
            last_height=report.last_height,
            blocks=report.blocks,
            reorg_depth=report.reorg_depth,
            days_priced=[d.isoformat() for d in report.days_priced],
            exchange_filled=[d.isoformat() for d in report.exchange_filled],
            recent_price=report.recent_price,
            objects_compacted=report.objects_compacted,
            objects_deleted=report.objects_deleted,
            commit_seconds=round(report.commit_seconds, 3),
            seconds=round(report.seconds, 3),
        )
        return report

    return run_job("ingest", wiring, work, run_id=run_id, quiet=quiet)
