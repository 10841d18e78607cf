"""How much to trust a mempool estimate, read from measurement.

``benchmarks/mempool_accuracy.py`` prices thousands of simulated mempools
with a known planted price, under the simulated node's payment mix and two
weaker ones (fewer round-dollar payments). The estimate fails in one way:
the stencil locks onto the wrong round amount and the price is several per
cent off; it happens with few candidates, and with a weak signal whatever
the count, and a weak signal shows as a wider spread (``dev_pct``). So the
benchmark tabulates the share of estimates within 1 % of the planted price
by candidates and spread; that table is ``WITHIN_1PCT`` and the confidence
is its cell. Below ``LOW_CONFIDENCE`` the estimate is flagged.
"""

from __future__ import annotations

import bisect

N_EDGES = (0, 150, 300, 600, 1200, 2400, 1_000_000)
"""Candidate-count buckets (rows of ``WITHIN_1PCT``)."""
DEV_EDGES = (0.0, 0.20, 0.22, 0.24, 0.26, 1.01)
"""Spread buckets (columns of ``WITHIN_1PCT``)."""
WITHIN_1PCT = (
    (0.67, 0.49, 0.40, 0.30, 0.40),
    (0.89, 0.75, 0.59, 0.39, 0.35),
    (0.99, 0.92, 0.77, 0.50, 0.33),
    (1.00, 0.98, 0.89, 0.50, 0.11),
    (1.00, 1.00, 0.97, 0.49, 0.00),
    (1.00, 1.00, 1.00, 0.47, 0.00),
)
"""Share of simulated estimates within 1 % of the planted price, per bucket: the output of
``python -m benchmarks.mempool_accuracy --trials 100`` (100 trials per size and mix)."""
LOW_CONFIDENCE = 0.9


def mempool_confidence(candidates: int, dev_pct: float) -> float:
    """The measured chance (0..1) that an estimate with these figures is within 1 %."""
    row = min(bisect.bisect_right(N_EDGES, candidates) - 1, len(WITHIN_1PCT) - 1)
    col = min(bisect.bisect_right(DEV_EDGES, dev_pct) - 1, len(DEV_EDGES) - 2)
    return WITHIN_1PCT[max(row, 0)][max(col, 0)]


def is_low_confidence(candidates: int, dev_pct: float) -> bool:
    return mempool_confidence(candidates, dev_pct) < LOW_CONFIDENCE
