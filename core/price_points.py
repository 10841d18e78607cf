"""ALGORITHM.md section 7: turn amounts near round USD values into intraday price points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.output_filter import Amounts

USD_AMOUNTS = (5, 10, 15, 20, 25, 30, 40, 50, 100, 150, 200, 300, 500, 1000)
ROUND_SAT_RUNS = (
    (0.00005, 0.00001, 0.0001),
    (0.0001, 0.00001, 0.001),
    (0.001, 0.0001, 0.01),
    (0.01, 0.001, 0.1),
    (0.1, 0.01, 1),
)
USD_BAND = 0.25
ROUND_SAT_BAND = 0.0001


def _round_sats() -> np.ndarray:
    # Repeated float addition on purpose: the drift it accumulates changes results.
    values: list[float] = []
    for start, step, limit in ROUND_SAT_RUNS:
        x = start
        while x < limit:
            values.append(x)
            x += step
    return np.sort(np.array(values, dtype=np.float64))


ROUND_SATS = _round_sats()
_ROUND_LO = ROUND_SATS - ROUND_SAT_BAND * ROUND_SATS
_ROUND_HI = ROUND_SATS + ROUND_SAT_BAND * ROUND_SATS


def near_round_sats(btc: np.ndarray) -> np.ndarray:
    """Whether each amount lies strictly inside ±0.01% of a round-satoshi value.

    Any such value is within 0.01% of the amount, and round-satoshi values are
    at least 1% apart except for near-duplicate pairs at the joins of the
    runs, so only the two values on either side of the amount's insertion
    point can match. Those four are tested with the exact inequality.
    """
    at = np.searchsorted(ROUND_SATS, btc)
    near = np.zeros(btc.shape, np.bool_)
    for shift in (-2, -1, 0, 1):
        j = np.clip(at + shift, 0, ROUND_SATS.size - 1)
        near |= (_ROUND_LO[j] < btc) & (btc < _ROUND_HI[j])
    return near


@dataclass(frozen=True)
class PricePoints:
    """Price points in the method's order: by amount, then by USD value."""

    price: np.ndarray  # float64, USD per BTC
    height: np.ndarray  # int64
    time: np.ndarray  # int64

    @property
    def size(self) -> int:
        return int(self.price.size)


def price_points(amounts: Amounts, rough: int) -> PricePoints:
    """Every (amount, USD value) pair within ±25% of ``usd / rough`` and off round sats."""
    usd = np.array(USD_AMOUNTS, dtype=np.float64)
    expected = usd / rough  # int / int: the same correctly rounded quotient as Python's
    lo = expected - USD_BAND * expected
    hi = expected + USD_BAND * expected
    btc = amounts.btc
    usable = ~near_round_sats(btc)
    rows, cols = np.nonzero((btc[:, None] > lo) & (btc[:, None] < hi) & usable[:, None])
    return PricePoints(usd[cols] / btc[rows], amounts.height[rows], amounts.time[rows])
