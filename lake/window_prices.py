"""Prices of days and recent windows from the lake alone, equal to pricing the node's blocks."""

from __future__ import annotations

import datetime as dt

from adapters.storage import ObjectStore
from core.block_outputs import price_rows
from core.engine import WindowPricer, price_day_with
from core.errors import WindowError
from core.result import PriceResult
from core.windows import RECENT_BLOCKS, block_window
from lake.manifest import Manifest
from lake.reader import LakeBlocks, output_rows


def lake_pricer(store: ObjectStore, manifest: Manifest) -> WindowPricer:
    """Prices a window from ``outputs`` rows; refuses windows the lake cannot answer exactly."""

    def price(window, kind, day):
        first, tip = manifest.first_height, manifest.tip_height
        if first is None or tip is None or window.start < first or window.end - 1 > tip:
            raise WindowError(
                f"blocks [{window.start}, {window.end}) are not all in the lake at {store.url} "
                f"(it holds {first}..{tip}); backfill or ingest them first"
            )
        return price_rows(
            output_rows(store, manifest, window.start, window.end - 1), window, kind, day
        )

    return price


def day_price(store: ObjectStore, manifest: Manifest, day: dt.date) -> PriceResult:
    return price_day_with(LakeBlocks(store, manifest), lake_pricer(store, manifest), day)


def recent_price(
    store: ObjectStore, manifest: Manifest, n_blocks: int = RECENT_BLOCKS
) -> PriceResult:
    window = block_window(LakeBlocks(store, manifest).block_count(), n_blocks)
    return lake_pricer(store, manifest)(window, "blocks", None)
