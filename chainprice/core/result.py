"""One result type for every priced window (docs/METHOD.md section 9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from chainprice.core.histogram import BIN_EDGES
from chainprice.core.price_points import PricePoints
from chainprice.core.rough_price import PRICE_BIN

METHOD_VERSION = "9.1"
"""Version of the published method whose results this engine reproduces bit for bit."""

WindowKind = Literal["day", "canonical_day", "blocks"]

ROUND_USD = (1, 5, 10, 15, 20, 30, 50, 100, 150, 200, 300, 500, 1000, 1500, 2000, 5000, 10000)
"""The round USD amounts the spike stencil stands for (core/stencils.py)."""


@dataclass(frozen=True, eq=False)
class HistogramFit:
    """The cleaned histogram and the stencil fit over it: what a chart needs to show
    why the rough price came out where it did.
    """

    histogram: np.ndarray
    """Cleaned histogram, all bins of ``core.histogram.BIN_EDGES``."""
    slide_scores: np.ndarray
    """Stencil score of every slide in ``core.rough_price.SLIDES``."""
    best_slide: int

    def __eq__(self, other: object) -> bool:
        """The same fit: the same best slide and the same arrays, element for element."""
        if not isinstance(other, HistogramFit):
            return NotImplemented
        return (
            self.best_slide == other.best_slide
            and np.array_equal(self.histogram, other.histogram)
            and np.array_equal(self.slide_scores, other.slide_scores)
        )

    __hash__ = None

    @property
    def round_usd_btc(self) -> np.ndarray:
        """BTC amount of each of ``ROUND_USD`` at the best slide's price, 100 / edge[601 + s]."""
        per_usd = float(BIN_EDGES[PRICE_BIN + self.best_slide]) / 100
        return np.array(ROUND_USD, dtype=np.float64) * per_usd


@dataclass(frozen=True)
class PriceResult:
    """Everything worth keeping about one window's price.

    ``kind`` is ``"day"`` (the reference's day window), ``"canonical_day"``
    (our tip-independent day window) or ``"blocks"`` (the latest 144 blocks).
    A ``"day"`` result carries ``canonical`` when the canonical window for the
    same date holds other blocks; when the windows agree so do the prices and
    ``canonical`` is ``None``. Shortly after a day ends its canonical end may
    not be settled yet: ``canonical_pending`` is then true and ``canonical``
    is ``None`` until a later run. ``fit`` holds the cleaned histogram and the
    stencil scores behind ``rough`` (for charts; not part of any comparison).
    """

    kind: WindowKind
    date: dt.date | None
    start: int
    end: int
    tip: int
    n_outputs: int
    n_price_points: int
    rough: int
    price: float
    dev_pct: float
    ax_range: float
    points: PricePoints
    method_version: str = METHOD_VERSION
    canonical: PriceResult | None = None
    canonical_pending: bool = False
    fit: HistogramFit | None = field(default=None, compare=False, repr=False)

    @property
    def n_blocks(self) -> int:
        return self.end - self.start

    @property
    def n_plotted(self) -> int:
        return self.points.size

    @property
    def canonical_price(self) -> float:
        """The canonical window's price (the same as ``price`` when the windows agree)."""
        return self.canonical.price if self.canonical is not None else self.price
