"""The whole computation, wired: raw blocks -> amounts -> histogram -> rough -> price.

Pure: the caller hands in header access and a way to get a window's raw
blocks; nothing here touches a network or a disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace

from chainprice.core.block_parser import ParsedBlock, RawBlock, combine_blocks, parse_block
from chainprice.core.errors import WindowError, WindowNotSettledError
from chainprice.core.final_price import final_price
from chainprice.core.histogram import clean_histogram, raw_histogram
from chainprice.core.output_filter import Amounts, recorded_amounts
from chainprice.core.price_points import price_points
from chainprice.core.result import HistogramFit, PriceResult, WindowKind
from chainprice.core.rough_price import rough_price
from chainprice.core.windows import (
    RECENT_BLOCKS,
    HeaderSource,
    Window,
    block_window,
    canonical_day_window,
    day_window,
)

BlockFetcher = Callable[[int, int], Iterable[RawBlock | ParsedBlock]]
"""Yields the blocks of heights ``[start, end)`` in order, raw or already parsed.

A fetcher that parses each block as it arrives (``parse_block``) overlaps
parsing with downloading and can refetch a block that fails its checks.
"""


def price_amounts(
    amounts: Amounts, window: Window, kind: WindowKind, day: dt.date | None = None
) -> PriceResult:
    """Sections 3-8 on already recorded amounts (also how the lake re-prices a window)."""
    hist = clean_histogram(raw_histogram(amounts.btc))
    fit = rough_price(hist)
    rough = fit.rough
    points = price_points(amounts, rough)
    final = final_price(points, rough, window.start, window.end - 1)
    return PriceResult(
        kind=kind,
        date=day,
        start=window.start,
        end=window.end,
        tip=window.tip,
        n_outputs=amounts.size,
        n_price_points=points.size,
        rough=rough,
        price=final.price,
        dev_pct=final.dev_pct,
        ax_range=final.ax_range,
        points=final.plotted,
        fit=HistogramFit(hist, fit.scores, fit.best_slide),
    )


def price_blocks(
    blocks: Iterable[RawBlock | ParsedBlock],
    window: Window,
    kind: WindowKind,
    day: dt.date | None = None,
) -> PriceResult:
    """The whole computation over the blocks of one window."""
    parsed = [b if isinstance(b, ParsedBlock) else parse_block(*b) for b in blocks]
    heights = [b.height for b in parsed]
    if heights != list(range(window.start, window.end)):
        raise WindowError(
            f"expected the blocks [{window.start}, {window.end}), got {len(heights)} blocks"
            + (f" from {heights[0]} to {heights[-1]}" if heights else "")
        )
    return price_amounts(recorded_amounts(combine_blocks(parsed)), window, kind, day)


WindowPricer = Callable[[Window, WindowKind, dt.date | None], PriceResult]
"""Prices one window: from raw blocks (``price_blocks``) or from lake rows."""


def price_day_with(headers: HeaderSource, price_window: WindowPricer, day: dt.date) -> PriceResult:
    """The reference's price for ``day``, with the canonical window's price when it differs."""
    window = day_window(headers, day)
    result = price_window(window, "day", day)
    try:
        canonical = canonical_day_window(headers, day)
    except WindowNotSettledError:
        return replace(result, canonical_pending=True)
    if (canonical.start, canonical.end) == (window.start, window.end):
        return result
    return replace(result, canonical=price_window(canonical, "canonical_day", day))


def price_day(headers: HeaderSource, fetch: BlockFetcher, day: dt.date) -> PriceResult:
    """The reference's price for ``day`` from the node's blocks (see ``price_day_with``)."""
    return price_day_with(
        headers, lambda w, kind, d: price_blocks(fetch(w.start, w.end), w, kind, d), day
    )


def price_recent(
    headers: HeaderSource, fetch: BlockFetcher, n_blocks: int = RECENT_BLOCKS
) -> PriceResult:
    """The price over the latest ``n_blocks`` (144) blocks below the tip."""
    window = block_window(headers.block_count(), n_blocks)
    return price_blocks(fetch(window.start, window.end), window, "blocks")
