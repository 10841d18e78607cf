"""The mempool estimate: the confirmed computation over the unconfirmed transactions of a window.

Window: the transactions that entered the node's mempool in the last
``window_seconds`` (3 hours) up to the newest entry. The newest entry is the
node's clock, not ours, so a skewed local clock or a replayed mempool gives
the same window. Filters: those of the confirmed computation (at most 5
inputs, exactly 2 outputs, no OP_RETURN, no oversized witness item, amounts
within the histogram's range). The same-window rule drops a transaction that
spends an output of another transaction of the window: an unconfirmed parent
(the node's ``depends``, or a previous txid found in the mempool) or a parent
confirmed in a block stamped within the window. Then sections 3-8 unchanged,
with the entry time as the points' x axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainprice.core.errors import PriceError
from chainprice.core.final_price import final_price
from chainprice.core.histogram import clean_histogram, raw_histogram
from chainprice.core.mempool_txs import MempoolTxs
from chainprice.core.output_filter import Amounts, in_range, passes_filters, to_btc
from chainprice.core.price_points import PricePoints, price_points
from chainprice.core.result import METHOD_VERSION
from chainprice.core.rough_price import rough_price

DEFAULT_WINDOW_SECONDS = 3 * 3600


@dataclass(frozen=True)
class ConfirmedTxids:
    """Txids of recent blocks, each with its block's header time (parents confirmed lately)."""

    txid: np.ndarray  # uint8 (N, 32), internal byte order
    time: np.ndarray  # int64 (N,)


@dataclass(frozen=True)
class MempoolCounts:
    """How many transactions each step saw."""

    received: int
    """In the node's mempool answer."""
    in_window: int
    """Entered within the window."""
    passing: int
    """In the window and passing every filter: the candidates."""


@dataclass(frozen=True)
class MempoolResult:
    """One mempool estimate: the window, its counts and the confirmed pipeline's figures."""

    window_start: int
    window_end: int
    tip: int
    counts: MempoolCounts
    n_outputs: int
    n_price_points: int
    rough: int
    price: float
    dev_pct: float
    ax_range: float
    points: PricePoints
    """Plotted points; ``time`` is each transaction's entry time, ``height`` the next block's."""
    method_version: str = METHOD_VERSION


def spends_any(prev_txid: np.ndarray, in_start: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Boolean per transaction: some input's previous txid is one of ``parents`` (rows of 32).

    Sorted 8-byte prefixes find the few possible matches (a txid's bytes are
    uniformly random); the full 32 bytes decide.
    """
    n_tx = in_start.size - 1
    if prev_txid.shape[0] == 0 or parents.shape[0] == 0:
        return np.zeros(n_tx, bool)
    keys = np.ascontiguousarray(parents[:, :8]).view("<u8").ravel()
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    wanted = np.ascontiguousarray(prev_txid[:, :8]).view("<u8").ravel()
    lo = np.searchsorted(sorted_keys, wanted, side="left")
    hi = np.searchsorted(sorted_keys, wanted, side="right")
    hit = np.zeros(prev_txid.shape[0], bool)
    for k in np.flatnonzero(hi > lo):
        candidates = parents[order[lo[k] : hi[k]]]
        hit[k] = bool((candidates == prev_txid[k]).all(axis=1).any())
    tx_of_input = np.repeat(np.arange(n_tx), np.diff(in_start))
    out = np.zeros(n_tx, bool)
    out[tx_of_input[hit]] = True
    return out


def window_bounds(times: np.ndarray, window_seconds: int) -> tuple[int, int]:
    """``(start, end)``: end is the newest entry time, start ``window_seconds`` before it."""
    if times.size == 0:
        raise PriceError("the mempool is empty: no unconfirmed transaction to price")
    end = int(times.max())
    return end - window_seconds, end


def candidates(
    txs: MempoolTxs,
    mempool_txids: np.ndarray,
    confirmed: ConfirmedTxids,
    start: int,
    end: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(in_window, passing)`` booleans per transaction of ``txs``.

    ``mempool_txids`` are every txid the node listed (parents outside the
    window are unconfirmed parents all the same).
    """
    in_window = (txs.time >= start) & (txs.time <= end)
    passing = in_window & passes_filters(txs.n_in, txs.n_out, txs.flags) & ~txs.has_parent
    tested = np.flatnonzero(passing)
    subset = txs.select(passing)
    parents = np.concatenate([mempool_txids, confirmed.txid[confirmed.time >= start]])
    passing[tested[spends_any(subset.prev_txid, subset.in_start, parents)]] = False
    return in_window, passing


def window_amounts(txs: MempoolTxs, passing: np.ndarray, next_height: int) -> Amounts:
    """The recorded amounts of the passing transactions, ordered by entry time."""
    order = np.flatnonzero(passing)
    order = order[np.argsort(txs.time[order], kind="stable")]
    sats = txs.value[order].ravel()
    times = np.repeat(txs.time[order], 2)
    btc = to_btc(sats)
    keep = in_range(btc)
    return Amounts(
        btc=btc[keep],
        height=np.full(int(keep.sum()), next_height, np.int64),
        time=times[keep],
    )


def mempool_price(
    txs: MempoolTxs,
    mempool_txids: np.ndarray,
    confirmed: ConfirmedTxids,
    tip: int,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
    n_received: int | None = None,
) -> MempoolResult:
    """The mempool estimate over ``txs`` (the window's transactions, and maybe older ones).

    Raises ``PriceError`` for an empty mempool or a window without amounts.
    """
    start, end = window_bounds(txs.time, window_seconds)
    in_window, passing = candidates(txs, mempool_txids, confirmed, start, end)
    amounts = window_amounts(txs, passing, tip + 1)
    counts = MempoolCounts(
        received=txs.size if n_received is None else n_received,
        in_window=int(in_window.sum()),
        passing=int(passing.sum()),
    )
    if amounts.size == 0:
        raise PriceError(
            f"no unconfirmed transaction of the window passes the filters "
            f"({counts.in_window} in the window, {counts.received} in the mempool)"
        )
    rough = rough_price(clean_histogram(raw_histogram(amounts.btc))).rough
    points = price_points(amounts, rough)
    final = final_price(points, rough, start, end)
    return MempoolResult(
        window_start=start,
        window_end=end,
        tip=tip,
        counts=counts,
        n_outputs=amounts.size,
        n_price_points=points.size,
        rough=rough,
        price=final.price,
        dev_pct=final.dev_pct,
        ax_range=final.ax_range,
        points=final.plotted,
    )
