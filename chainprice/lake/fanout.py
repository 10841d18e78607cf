"""A backfill split into chunks of a few days, for workers that run at once.

``plan_chunks`` cuts the heights a range of days needs into chunks (plain
JSON, one Pub/Sub message each); ``backfill_chunk`` writes one chunk's
missing blocks and commits them wherever they fall, as an island that joins
its neighbours when they meet (``lake.segments``). Every raw block is read
by the one worker whose chunk holds it: the lookback below a chunk comes
from the lake or from the node's txid lists (``lake.lookback``). Each worker
then prices the days whose windows its commit completed and publishes the
finished ones; the merges make the first settled price win, so the lake
ends as one sequential backfill leaves it, in any order, with redelivered
or concurrent chunks.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from chainprice.adapters.storage import ObjectStore
from chainprice.core import WindowError, day_window
from chainprice.lake.backfill import BackfillNode, height_range
from chainprice.lake.chain_check import check_network, network_of
from chainprice.lake.changes import create
from chainprice.lake.exchange_rates import LakeExchange
from chainprice.lake.ingest import (
    Committer,
    IngestReport,
    LakeSettings,
    settle,
    write_heights,
)
from chainprice.lake.manifest import check_not_reset, load_manifest
from chainprice.lake.price_records import Validity
from chainprice.lake.segments import split

DAYS_PER_CHUNK = 3


@dataclass(frozen=True)
class Chunk:
    """Heights ``first_height..last_height`` (both included), holding the days named."""

    first_height: int
    last_height: int
    first_date: str
    last_date: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Chunk:
        """A chunk from a message; one line naming what is wrong otherwise."""
        fields = ("first_height", "last_height", "first_date", "last_date")
        if not isinstance(data, dict) or set(data) != set(fields):
            raise WindowError(f"a backfill chunk is a JSON object with {', '.join(fields)}")
        heights = data["first_height"], data["last_height"]
        if not all(isinstance(h, int) and not isinstance(h, bool) and h >= 0 for h in heights):
            raise WindowError("a backfill chunk's heights must be whole numbers, 0 or more")
        if heights[0] > heights[1]:
            raise WindowError(f"a backfill chunk's heights {heights[0]}..{heights[1]} are reversed")
        try:
            dt.date.fromisoformat(data["first_date"]), dt.date.fromisoformat(data["last_date"])
        except (TypeError, ValueError):
            raise WindowError("a backfill chunk's dates must be YYYY-MM-DD") from None
        return cls(*heights, data["first_date"], data["last_date"])


def plan_chunks(
    node: BackfillNode,
    first_date: dt.date,
    last_date: dt.date,
    days_per_chunk: int = DAYS_PER_CHUNK,
) -> list[Chunk]:
    """The heights a backfill of ``[first_date, last_date]`` reads, cut at day starts into
    chunks of ``days_per_chunk`` days; together exactly the sequential backfill's heights."""
    if days_per_chunk < 1:
        raise WindowError(f"a chunk holds 1 day or more, not {days_per_chunk}")
    start, stop = height_range(node, first_date, last_date)
    days = (last_date - first_date).days + 1
    firsts = [first_date + dt.timedelta(days=i) for i in range(0, days, days_per_chunk)]
    cuts = [start] + [max(start, day_window(node, d).start) for d in firsts[1:]] + [stop + 1]
    chunks = []
    for i, day in enumerate(firsts):
        last_day = min(last_date, day + dt.timedelta(days=days_per_chunk - 1))
        if cuts[i] < cuts[i + 1]:
            chunks.append(Chunk(cuts[i], cuts[i + 1] - 1, day.isoformat(), last_day.isoformat()))
    return chunks


def backfill_chunk(
    store: ObjectStore,
    node: BackfillNode,
    chunk: Chunk,
    *,
    exchange: LakeExchange | None = None,
    validity: Validity | None = None,
    settings: LakeSettings | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> IngestReport:
    """Write the blocks of ``chunk`` the lake lacks, then price and publish what they complete.

    Idempotent: a redelivered chunk writes only what no commit holds yet
    (nothing, once done), and two workers on one chunk commit its blocks once.
    """
    began = time.perf_counter()
    settings = settings or LakeSettings()
    manifest = load_manifest(store)
    check_not_reset(store, manifest)
    report = IngestReport(node_tip=node.block_count())
    if chunk.last_height > report.node_tip:
        raise WindowError(
            f"the chunk's blocks {chunk.first_height}..{chunk.last_height} reach past the "
            f"node's tip {report.node_tip}"
        )
    committed = Committer(store, report)
    check_network(manifest, network_of(node), store.url)
    if manifest.version == 0:
        manifest = committed([create(network_of(node))])
    gaps = [
        (a, b) for a, b, held in split(manifest, chunk.first_height, chunk.last_height) if not held
    ]
    for lo, hi in gaps:
        for a, b, held in split(manifest, lo, hi):  # another worker may have written some since
            if held:
                continue
            if report.first_height is None:
                report.first_height = a
            manifest = write_heights(
                store, manifest, node, a, b, committed, report, anywhere=True, on_batch=on_batch
            )
    manifest = settle(
        store,
        manifest,
        node,
        report,
        validity=validity or Validity(),
        exchange=exchange,
        recent=False,
        settings=settings,
    )
    report.seconds = time.perf_counter() - began
    return report
