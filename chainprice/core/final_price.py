"""docs/METHOD.md section 8: the final price, its spread and the chart's points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainprice.core.errors import PriceError
from chainprice.core.price_points import PricePoints

PRICE_BAND = 0.05  # the final price is the most central point within ±5% of rough
SPREAD_BAND = 0.1  # the spread figure is measured within ±10% of the price
AX_MIN = 0.05
AX_MAX = 0.20
AX_SLOPE = (0.15 - 0.05) / (0.20 - 0.17)  # as the method writes it, in floats
AX_PIVOT = 0.17


def central_point(sorted_prices: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Most central point of ``lo < p < hi`` and the median distance to it.

    ``sorted_prices`` is ascending, so the points in range are one slice of
    it, already in the order the method sorts them. The total distance of each
    point to all others is built from a left-to-right prefix sum in exactly
    the method's form, because with an even count the two middle points tie
    and rounding picks the winner.
    """
    p = sorted_prices[
        np.searchsorted(sorted_prices, lo, side="right") : np.searchsorted(
            sorted_prices, hi, side="left"
        )
    ]
    n = p.size
    if n == 0:
        raise PriceError(f"no price points between {lo:.2f} and {hi:.2f}: cannot centre the price")
    prefix = np.cumsum(p)
    total = prefix[-1]
    i = np.arange(n)
    left = np.concatenate(([0.0], prefix[:-1]))
    right = total - prefix
    dist = (p * i - left) + (right - p * (n - 1 - i))
    best = float(p[int(np.argmin(dist))])
    mid = n // 2
    if n % 2:
        spread = float(np.partition(np.abs(p - best), mid)[mid])
    else:
        d = np.partition(np.abs(p - best), (mid - 1, mid))
        spread = float((d[mid - 1] + d[mid]) / 2)
    return best, spread


@dataclass(frozen=True)
class FinalPrice:
    """The reported price, its spread figure and the intraday points within the chart range."""

    price: float
    dev_pct: float
    ax_range: float
    plotted: PricePoints


def final_price(points: PricePoints, rough: int, first_height: int, last_height: int) -> FinalPrice:
    """The first central point within ±5% of rough (the method's re-centring loop never runs)."""
    ordered = np.sort(points.price)
    price, _ = central_point(ordered, rough - PRICE_BAND * rough, rough + PRICE_BAND * rough)

    hi = price + SPREAD_BAND * price
    lo = price - SPREAD_BAND * price
    _, spread = central_point(ordered, lo, hi)
    dev_pct = spread / (hi - lo)
    ax = min(max(AX_MIN + (dev_pct - AX_PIVOT) * AX_SLOPE, AX_MIN), AX_MAX)

    inside = (points.price > price - ax * price) & (points.price < price + ax * price)
    return FinalPrice(price, dev_pct, ax, _chart_order(points, inside, first_height, last_height))


def _chart_order(points: PricePoints, inside: np.ndarray, first: int, last: int) -> PricePoints:
    """The plotted points sorted by ``(x, price)``, where ``x`` spreads all points over the heights.

    Over two or more blocks ``x`` rises strictly and the order is unchanged; in
    a one-block window every ``x`` is equal and prices come out sorted. Only
    the prices are re-ordered, as in the method.
    """
    n = points.size
    step = (last - first) / (n - 1) if n > 1 else 0.0
    x = (first + np.arange(n) * step)[inside]
    price = points.price[inside]
    if not np.all(x[1:] > x[:-1]):
        price = price[np.lexsort((price, x))]
    return PricePoints(price, points.height[inside], points.time[inside])
