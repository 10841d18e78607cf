"""The ``backfill`` jobs: a range of days in one process (``chainprice backfill``, in order or
as chunks on threads), or split into chunks for parallel workers (the ``backfill`` and
``backfill_worker`` functions), each chunk idempotent."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from chainprice.jobs.logs import JobLog
from chainprice.jobs.runner import RunFacts, run_job
from chainprice.jobs.wiring import Wiring, open_chain
from chainprice.lake.ingest import IngestReport

if TYPE_CHECKING:
    from chainprice.lake.fanout import Chunk


def _facts(facts: RunFacts, report: IngestReport) -> None:
    facts.tip_height, facts.lake_height = report.node_tip, report.lake_height
    facts.blocks_ingested = report.blocks


def _chunk(wiring: Wiring, chunk: Chunk, node=None) -> IngestReport:
    from chainprice.lake.fanout import backfill_chunk

    return backfill_chunk(
        wiring.store,
        node or wiring.node,
        chunk,
        exchange=wiring.exchange,
        validity=wiring.validity,
        settings=wiring.lake_settings,
    )


def _merged(reports: Sequence[IngestReport], seconds: float) -> IngestReport:
    heights = [h for r in reports for h in (r.first_height, r.last_height) if h is not None]
    return IngestReport(
        node_tip=max(r.node_tip for r in reports),
        first_height=min(heights, default=None),
        last_height=max(heights, default=None),
        blocks=sum(r.blocks for r in reports),
        lake_height=max(
            (r.lake_height for r in reports if r.lake_height is not None), default=None
        ),
        days_priced=sorted({d for r in reports for d in r.days_priced}),
        objects_compacted=sum(r.objects_compacted for r in reports),
        seconds=seconds,
    )


def _in_chunks(wiring: Wiring, first: dt.date, last: dt.date, parallel: int) -> IngestReport:
    """Chunks on ``parallel`` threads, each with its own node connection."""
    from chainprice.lake.fanout import plan_chunks

    began = time.perf_counter()
    chunks = plan_chunks(wiring.node, first, last, wiring.settings.backfill_chunk_days)
    node_settings = wiring.settings.node
    with ThreadPoolExecutor(parallel, thread_name_prefix="backfill-chunk") as pool:
        reports = list(pool.map(lambda c: _chunk(wiring, c, open_chain(node_settings)), chunks))
    return _merged(reports, time.perf_counter() - began)


def backfill_job(
    wiring: Wiring,
    first: dt.date,
    last: dt.date,
    *,
    parallel: int = 1,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    run_id: str | None = None,
    quiet: bool = False,
) -> IngestReport:
    """Fill ``[first, last]``: in order (``parallel`` 1), or as chunks on ``parallel`` threads
    (which also reaches days before the lake's first block)."""

    def work(facts: RunFacts, log: JobLog) -> IngestReport:
        from chainprice.lake.backfill import backfill

        if parallel > 1:
            report = _in_chunks(wiring, first, last, parallel)
        else:
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
        _facts(facts, report)
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


def plan_backfill(
    wiring: Wiring,
    first: dt.date,
    last: dt.date,
    publish: Callable[[list[dict]], list[str]],
    *,
    run_id: str | None = None,
) -> list[Chunk]:
    """Cut ``[first, last]`` into chunks and hand each to ``publish`` (one message each)."""

    def work(facts: RunFacts, log: JobLog) -> list[Chunk]:
        from chainprice.lake.fanout import plan_chunks

        chunks = plan_chunks(wiring.node, first, last, wiring.settings.backfill_chunk_days)
        ids = publish([c.to_json() for c in chunks])
        facts.tip_height = wiring.node.block_count()
        log.info(
            "backfill planned",
            first_day=first.isoformat(),
            last_day=last.isoformat(),
            chunks=len(chunks),
            first_height=chunks[0].first_height if chunks else None,
            last_height=chunks[-1].last_height if chunks else None,
            message_ids=ids,
        )
        return chunks

    return run_job("backfill_plan", wiring, work, run_id=run_id)


def backfill_chunk_job(wiring: Wiring, chunk: Chunk, *, run_id: str | None = None) -> IngestReport:
    """One chunk of a planned backfill; safe to run twice, at once or after a kill."""

    def work(facts: RunFacts, log: JobLog) -> IngestReport:
        report = _chunk(wiring, chunk)
        _facts(facts, report)
        log.info(
            "backfill chunk written",
            first_height=chunk.first_height,
            last_height=chunk.last_height,
            blocks=report.blocks,
            days_priced=[d.isoformat() for d in report.days_priced],
            seconds=round(report.seconds, 3),
        )
        return report

    return run_job("backfill", wiring, work, run_id=run_id)
