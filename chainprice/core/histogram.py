"""docs/METHOD.md sections 3 and 4: the log-scale histogram of amounts, and its cleaning."""

from __future__ import annotations

import numpy as np

from chainprice.core.errors import PriceError


def _bin_edges() -> np.ndarray:
    # Python's float ``**`` on purpose: numpy's power may differ in the last bit.
    edges = [0.0]
    for e in range(-6, 6):
        for b in range(200):
            edges.append(10 ** (e + b / 200))
    return np.array(edges, dtype=np.float64)


BIN_EDGES = _bin_edges()
N_BINS = BIN_EDGES.size  # 2401
FIRST_KEPT_BIN = 201  # 1e-5 BTC
LAST_KEPT_BIN = 1600  # just under 100 BTC
ROUND_BTC_BINS = (
    201,
    401,
    461,
    496,
    540,
    601,
    661,
    696,
    740,
    801,
    861,
    896,
    940,
    1001,
    1061,
    1096,
    1140,
    1201,
)
BIN_CAP = 0.008


def bin_index(btc: np.ndarray) -> np.ndarray:
    """Bin of each amount: ``i`` with ``edge[i] <= v < edge[i+1]``, the top bin for the rest.

    Equal to ``searchsorted(BIN_EDGES, v, "right") - 1``, several times faster:
    the log10 of an amount gives its bin to within one (the edges are powers
    of 10**(1/200)), and one comparison each way against the exact edges
    settles it.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.floor((np.log10(btc) + 6.0) * 200.0) + 1.0
    index = np.clip(np.nan_to_num(guess, nan=0.0), 0, N_BINS - 1).astype(np.int64)
    index -= BIN_EDGES[index] > btc
    index += (index < N_BINS - 1) & (btc >= BIN_EDGES[np.minimum(index + 1, N_BINS - 1)])
    return index


def raw_histogram(btc: np.ndarray) -> np.ndarray:
    """Counts per bin ``i`` with ``edge[i] <= v < edge[i+1]``; the top bin takes the rest."""
    return np.bincount(bin_index(btc), minlength=N_BINS).astype(np.float64)


def clean_histogram(counts: np.ndarray) -> np.ndarray:
    """Drop out-of-range bins, smooth round-BTC bins, normalise and cap (section 4)."""
    h = counts.copy()
    h[:FIRST_KEPT_BIN] = 0.0
    h[LAST_KEPT_BIN + 1 :] = 0.0
    for r in ROUND_BTC_BINS:
        h[r] = 0.5 * (h[r + 1] + h[r - 1])
    kept = h[FIRST_KEPT_BIN : LAST_KEPT_BIN + 1]
    total = float(kept.sum())  # whole and half counts: exact in any order
    if total == 0.0:
        raise PriceError("not enough transactions: no usable output amounts in the window")
    h[FIRST_KEPT_BIN : LAST_KEPT_BIN + 1] = np.minimum(kept / total, BIN_CAP)
    return h
