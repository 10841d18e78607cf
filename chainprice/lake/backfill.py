"""``backfill``: every block a range of days needs, then their prices and exchange rows.

Backfill is ingestion with a chosen start and stop, so it inherits its
guarantees: each block is fetched once, a killed run resumes from the last
committed batch, and re-running a finished range fetches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Protocol

from chainprice.adapters.storage import ObjectStore
from chainprice.core import WindowError, canonical_day_window, day_window
from chainprice.core.errors import WindowNotSettledError
from chainprice.core.windows import HeaderSource
from chainprice.lake.exchange_rates import LakeExchange
from chainprice.lake.ingest import IngestReport, LakeSettings, NodeBlocks, ingest
from chainprice.lake.manifest import load_manifest
from chainprice.lake.price_records import Validity

MARGIN = 24
"""Blocks read beyond each end of the range, so the window rules can look across midnight."""


class BackfillNode(NodeBlocks, HeaderSource, Protocol):
    """A node client the window rules can walk (``adapters.node.NodeChain``)."""


def height_range(node: BackfillNode, first: dt.date, last: dt.date) -> tuple[int, int]:
    """Heights covering the windows (both rules) of every day in ``[first, last]``."""
    if last < first:
        raise WindowError(f"--from {first} is after --to {last}")
    start = day_window(node, first).start
    stop = day_window(node, last).end - 1
    with contextlib.suppress(WindowNotSettledError):
        stop = max(stop, canonical_day_window(node, last).end - 1)
    return max(0, start - MARGIN), min(node.block_count(), stop + MARGIN)


def backfill(
    store: ObjectStore,
    node: BackfillNode,
    first: dt.date,
    last: dt.date,
    *,
    exchange: LakeExchange | None = None,
    validity: Validity | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    settings: LakeSettings | None = None,
) -> IngestReport:
    """Fill the lake for the days ``[first, last]``; safe to re-run and to resume."""
    start, stop = height_range(node, first, last)
    manifest = load_manifest(store)
    if manifest.first_height is not None and start < manifest.first_height:
        raise WindowError(
            f"the lake at {store.url} starts at block {manifest.first_height}, after block "
            f"{start} that {first} needs; backfill earlier days with --parallel 2 or more "
            "(chunks that join the lake from below)"
        )
    done = manifest.tip_height if manifest.tip_height is not None else start - 1
    if on_start:
        on_start(max(0, stop - max(done, start - 1)))
    return ingest(
        store,
        node,
        start_height=start,
        stop_height=stop,
        validity=validity,
        exchange=exchange,
        on_batch=on_batch,
        recent=False,
        settings=settings,
    )
