"""docs/METHOD.md section 7: turn amounts near round USD values into intraday price points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from chainprice.core.output_filter import Amounts

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
ROUND_LO = ROUND_SATS - ROUND_SAT_BAND * ROUND_SATS
ROUND_HI = ROUND_SATS + ROUND_SAT_BAND * ROUND_SATS


@njit(cache=True, nogil=True)
def is_near_round_sats(v: float, round_sats: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether ``lo[k] < v < hi[k]`` for some round-satoshi value ``k``.

    Any such value is within 0.01% of ``v``, and round-satoshi values are at
    least 1% apart except for near-duplicate pairs at the joins of the runs,
    so only the two values on either side of ``v``'s insertion point can
    match; those four are tested with the exact inequality.
    """
    at = np.searchsorted(round_sats, v)
    for j in range(max(at - 2, 0), min(at + 2, round_sats.size)):  # noqa: SIM110 (numba)
        if lo[j] < v < hi[j]:
            return True
    return False


@njit(cache=True, nogil=True)
def _pairs(btc, lo, hi, round_sats, round_lo, round_hi):
    """(amount row, USD column) of every point, amount by amount then USD by USD.

    Plain description: for each amount, for each USD value in order, keep the
    pair when the amount is strictly inside that value's band; the round-sat
    test runs only for amounts that fall in some band.
    """
    rows = np.empty(btc.size * lo.size, np.int64)
    cols = np.empty(btc.size * lo.size, np.int64)
    n = 0
    for i in range(btc.size):
        v = btc[i]
        checked = False
        for j in range(lo.size):
            if lo[j] < v < hi[j]:
                if not checked:
                    if is_near_round_sats(v, round_sats, round_lo, round_hi):
                        break
                    checked = True
                rows[n] = i
                cols[n] = j
                n += 1
    return rows[:n], cols[:n]


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
    rows, cols = _pairs(amounts.btc, lo, hi, ROUND_SATS, ROUND_LO, ROUND_HI)
    return PricePoints(usd[cols] / amounts.btc[rows], amounts.height[rows], amounts.time[rows])
