"""docs/METHOD.md section 6: slide the stencils over the histogram for a rough price.

Every sum is accumulated left to right, as the method does: ``np.cumsum`` is a
sequential accumulation, so its last element is that exact sum (``np.sum``
pairs terms differently and could move a near-tie). The spike stencil is zero
outside 29 entries, and adding ``0.0`` never changes a partial sum, so its
ordered sum over those entries equals the ordered sum over all 803.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from chainprice.core.errors import PriceError
from chainprice.core.histogram import BIN_EDGES
from chainprice.core.stencils import SMOOTH, SPIKE, SPIKE_INDEX, STENCIL_SIZE

SLIDES = np.arange(-141, 201)  # 342 positions
WINDOW_OFFSET = 199  # slide s reads bins [199 + s, 1002 + s)
SMOOTH_BELOW = 150  # slides below this add the smooth stencil
SMOOTH_WEIGHT = 0.65
PRICE_BIN = 601  # the $100 spike sits on bin 601 + slide


@dataclass(frozen=True)
class RoughPrice:
    """The stencil fit: best slide, its neighbour and the blended integer price."""

    rough: int
    best_slide: int
    best_score: float
    neighbour_slide: int
    neighbour_score: float
    mean_score: float
    scores: np.ndarray = field(compare=False, repr=False)
    """Score of every slide in ``SLIDES`` (what the histogram chart draws)."""


def _ordered_sum(products: np.ndarray) -> np.ndarray:
    return np.cumsum(products, axis=-1)[..., -1]


def _spike_scores(hist: np.ndarray, slides: np.ndarray) -> np.ndarray:
    rows = (WINDOW_OFFSET + slides)[:, None] + SPIKE_INDEX[None, :]
    return _ordered_sum(hist[rows] * SPIKE[SPIKE_INDEX])


def rough_price(hist: np.ndarray) -> RoughPrice:
    """Best stencil position over the cleaned histogram, blended with its better neighbour."""
    windows = sliding_window_view(hist, STENCIL_SIZE)[WINDOW_OFFSET + SLIDES]
    spike = _spike_scores(hist, SLIDES)
    smooth = _ordered_sum(windows * SMOOTH)
    scores = np.where(SLIDES < SMOOTH_BELOW, spike + SMOOTH_WEIGHT * smooth, spike)
    total = float(np.cumsum(scores)[-1])

    # The first slide strictly above the running best (from 0) is the first global maximum.
    top = int(np.argmax(scores))
    if scores[top] > 0.0:
        best, best_score = int(SLIDES[top]), float(scores[top])
    else:
        best, best_score = 0, 0.0

    up, down = (float(s) for s in _spike_scores(hist, np.array([best + 1, best - 1])))
    side, neighbour_score = (-1, down) if down > up else (1, up)
    p_best = 100 / float(BIN_EDGES[PRICE_BIN + best])
    p_2nd = 100 / float(BIN_EDGES[PRICE_BIN + best + side])

    mean = total / len(SLIDES)
    a1 = best_score - mean
    a2 = abs(neighbour_score - mean)
    if a1 + a2 == 0:
        raise PriceError("degenerate stencil fit (a1 + a2 == 0): the histogram has no shape")
    rough = int((a1 / (a1 + a2)) * p_best + (a2 / (a1 + a2)) * p_2nd)
    return RoughPrice(rough, best, best_score, best + side, neighbour_score, mean, scores)
