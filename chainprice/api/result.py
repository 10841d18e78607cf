"""The public result: one priced window, with exactly the fields ``chainprice price --json`` prints.

The engine's ``PriceResult`` holds more (intraday points, the histogram fit)
under internal names that may change; this type is the contract, and the CLI
prints its ``to_json()``, so both report the same values to the last bit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from chainprice.core.result import PriceResult


@dataclass(frozen=True)
class Price:
    """One window's on-chain price, USD per BTC.

    ``kind``: ``day`` (the published method's day window), ``canonical_day``
    (the tip-independent day window), ``blocks`` (the latest N blocks, or a
    set of outputs) or ``mempool`` (unconfirmed transactions, windowed by
    entry time; its heights are the next block's). Heights are
    ``[start_height, end_height)``. A ``day`` carries ``canonical`` when the
    canonical window holds other blocks (``None`` when both agree, so both
    prices are equal); ``canonical_pending`` says the canonical end is not
    settled yet.
    """

    kind: Literal["day", "canonical_day", "blocks", "mempool"]
    date: dt.date | None
    window_rule: Literal["reference", "canonical"]
    start_height: int
    end_height: int
    tip_height: int
    n_outputs: int
    n_price_points: int
    n_plotted: int
    rough_price: int
    price: float
    dev_pct: float
    ax_range: float
    method_version: str
    canonical: Price | None
    canonical_pending: bool

    def to_json(self) -> dict[str, Any]:
        """The object ``chainprice price --json`` prints: the fields, the date as ISO text."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["date"] = self.date.isoformat() if self.date else None
        out["canonical"] = self.canonical.to_json() if self.canonical else None
        return out


def from_engine(result: PriceResult) -> Price:
    """From the engine's result; numpy scalars become Python numbers (no rounding)."""
    return Price(
        kind=result.kind,
        date=result.date,
        window_rule="canonical" if result.kind == "canonical_day" else "reference",
        start_height=int(result.start),
        end_height=int(result.end),
        tip_height=int(result.tip),
        n_outputs=int(result.n_outputs),
        n_price_points=int(result.n_price_points),
        n_plotted=int(result.n_plotted),
        rough_price=int(result.rough),
        price=float(result.price),
        dev_pct=float(result.dev_pct),
        ax_range=float(result.ax_range),
        method_version=result.method_version,
        canonical=from_engine(result.canonical) if result.canonical else None,
        canonical_pending=result.canonical_pending,
    )
