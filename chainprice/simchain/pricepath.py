"""The planted BTC/USD price: the truth a computed on-chain price is judged against.

The path is a straight drift from the first midnight to the last, times a slow
sine. Both are deterministic functions of the spec (no random draw), so the
price at the first midnight is exactly ``price_usd`` and anyone holding the spec
can recompute the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from chainprice.simchain.spec import ChainSpec


@dataclass(frozen=True)
class PricePath:
    origin: int
    """Unix time of the first midnight, where the price is ``price``."""
    span: float
    """Seconds over which the relative change ``drift`` accrues."""
    price: float
    drift: float
    wiggle: float
    wiggle_period: float

    @classmethod
    def from_spec(cls, spec: ChainSpec) -> PricePath:
        return cls(
            origin=spec.first_midnight,
            span=spec.days * 86400.0,
            price=spec.price_usd,
            drift=spec.drift,
            wiggle=spec.wiggle,
            wiggle_period=spec.wiggle_hours * 3600.0,
        )

    def __call__(self, unix_time: float | np.ndarray) -> float | np.ndarray:
        """Planted USD price at ``unix_time`` (scalar or array; extrapolates outside the days)."""
        since = np.asarray(unix_time, dtype=np.float64) - self.origin
        trend = 1.0 + self.drift * since / self.span
        wave = 1.0 + self.wiggle * np.sin(2.0 * np.pi * since / self.wiggle_period)
        out = self.price * trend * wave
        return float(out) if out.ndim == 0 else out

    def mean(self, start: float, end: float) -> float:
        """Mean price over the whole seconds of ``[start, end)``, the planted truth of a span."""
        seconds = np.arange(np.ceil(start), np.ceil(end), dtype=np.float64)
        return float(np.mean(self(seconds)))

    def day_mean(self, day: dt.date) -> float:
        """Mean price over one UTC day."""
        midnight = int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())
        return self.mean(midnight, midnight + 86400)
