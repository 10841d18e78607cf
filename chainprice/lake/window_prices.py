"""Prices of days and recent windows from the lake alone, equal to pricing the node's blocks."""

from __future__ import annotations

import datetime as dt

from chainprice.adapters.storage import ObjectStore
from chainprice.core.block_outputs import OutputRows, price_rows
from chainprice.core.engine import WindowPricer, price_day_with
from chainprice.core.errors import WindowError
from chainprice.core.result import PriceResult
from chainprice.core.windows import RECENT_BLOCKS, HeaderSource, block_window
from chainprice.lake.manifest import Manifest
from chainprice.lake.reader import LakeBlocks, output_rows
from chainprice.lake.segments import Segment, covering, segments

READ_MARGIN = 12
"""Heights read beyond a window, so a day's second window (canonical) reuses the first read."""


def lake_pricer(store: ObjectStore, manifest: Manifest) -> WindowPricer:
    """Prices windows from ``outputs`` rows; refuses windows the lake cannot answer exactly."""
    loaded: list[tuple[int, int, OutputRows]] = []

    def rows_for(run: Segment, start: int, last: int) -> OutputRows:
        if not (loaded and loaded[0][0] <= start and last <= loaded[0][1]):
            lo, hi = max(run.first, start - READ_MARGIN), min(run.last, last + READ_MARGIN)
            loaded[:] = [(lo, hi, output_rows(store, manifest, lo, hi, pricing_only=True))]
        return loaded[0][2]

    def price(window, kind, day):
        run = covering(manifest, window.start, window.end - 1)
        if run is None:
            held = ", ".join(f"{s.first}..{s.last}" for s in segments(manifest)) or "nothing"
            raise WindowError(
                f"blocks [{window.start}, {window.end}) are not all in the lake at {store.url} "
                f"(it holds {held}); backfill or ingest them first"
            )
        return price_rows(rows_for(run, window.start, window.end - 1), window, kind, day)

    return price


def day_price(
    store: ObjectStore, manifest: Manifest, day: dt.date, lake: HeaderSource | None = None
) -> PriceResult:
    """``lake``: the headers to walk (the lake's block index by default)."""
    blocks = lake or LakeBlocks(store, manifest)
    return price_day_with(blocks, lake_pricer(store, manifest), day)


def recent_price(
    store: ObjectStore, manifest: Manifest, n_blocks: int = RECENT_BLOCKS
) -> PriceResult:
    window = block_window(LakeBlocks(store, manifest).block_count(), n_blocks)
    return lake_pricer(store, manifest)(window, "blocks", None)
