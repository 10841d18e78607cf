"""One result type for every priced window (docs/METHOD.md section 9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from core.price_points import PricePoints

METHOD_VERSION = "9.1"
"""Version of the published method whose results this engine reproduces bit for bit."""

WindowKind = Literal["day", "canonical_day", "blocks"]


@dataclass(frozen=True)
class PriceResult:
    """Everything worth keeping about one window's price.

    ``kind`` is ``"day"`` (the reference's day window), ``"canonical_day"``
    (our tip-independent day window) or ``"blocks"`` (the latest 144 blocks).
    A ``"day"`` result carries ``canonical`` when the canonical window for the
    same date holds other blocks; when the windows agree so do the prices and
    ``canonical`` is ``None``. Shortly after a day ends its canonical end may
    not be settled yet: ``canonical_pending`` is then true and ``canonical``
    is ``None`` until a later run.
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
