"""docs/METHOD.md section 2: which transactions count, and which of their amounts are kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainprice.core.block_parser import WindowColumns
from chainprice.core.block_walk import FLAG_COINBASE, FLAG_LARGE_WITNESS, FLAG_OP_RETURN
from chainprice.core.same_window import same_window_spends

MAX_INPUTS = 5
OUTPUTS = 2
MIN_BTC = 1e-5
MAX_BTC = 1e5


@dataclass(frozen=True)
class Amounts:
    """Recorded output amounts in BTC, in chain order, with their block height and time."""

    btc: np.ndarray  # float64
    height: np.ndarray  # int64
    time: np.ndarray  # int64

    @property
    def size(self) -> int:
        return int(self.btc.size)


def passes_filters(n_in: np.ndarray, n_out: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Boolean per transaction: the filters of section 2 that ignore the window.

    Shared by the confirmed computation and the mempool estimate, which sees
    the same walker's counts and ``FLAG_*`` bits.
    """
    rejected = flags & (FLAG_COINBASE | FLAG_OP_RETURN | FLAG_LARGE_WITNESS)
    return (n_in <= MAX_INPUTS) & (n_out == OUTPUTS) & (rejected == 0)


def candidate_transactions(cols: WindowColumns) -> np.ndarray:
    """Boolean per transaction: passes the filters of section 2 that ignore the window."""
    return passes_filters(cols.tx_n_in, cols.tx_n_out, cols.tx_flags)


def kept_transactions(cols: WindowColumns) -> np.ndarray:
    """Boolean per transaction: passes every filter of section 2.

    The same-window lookup, the only costly filter, runs only on transactions
    that pass the others.
    """
    candidate = candidate_transactions(cols)
    return candidate & ~same_window_spends(
        cols.txid, cols.in_prev_txid, cols.tx_in_start, candidate
    )


def in_range(btc: np.ndarray) -> np.ndarray:
    """Amounts the reference records: ``1e-5 < v < 1e5`` BTC."""
    return (btc > MIN_BTC) & (btc < MAX_BTC)


def to_btc(sats: np.ndarray) -> np.ndarray:
    """``sats / 1e8`` as the reference's float division."""
    return sats.astype(np.float64) / 1e8


def recorded_amounts(cols: WindowColumns) -> Amounts:
    """Outputs of kept transactions with ``1e-5 < sats / 1e8 < 1e5``, in order."""
    from_kept = np.repeat(kept_transactions(cols), cols.tx_n_out)
    btc = to_btc(cols.out_value[from_kept])
    keep = in_range(btc)
    return Amounts(
        btc=btc[keep],
        height=cols.out_height[from_kept][keep],
        time=cols.out_time[from_kept][keep],
    )
