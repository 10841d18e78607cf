"""What the lake keeps of each block, so any window can be priced later without the node.

Every filter of docs/METHOD.md section 2 is a property of the transaction alone,
except the same-window spend, which depends on where the window starts. So
per output that could ever be recorded we keep ``funding_height``: the height
of the latest earlier transaction (chain order, the same block included) that
the output's transaction spends, looked up at most ``SPEND_LOOKBACK`` blocks
back (-1 if none). A window ``[s, e)`` records the output exactly when
``s <= height < e`` and ``funding_height < s``, for any window whose blocks
all lie within the lookback of each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chainprice.core.block_parser import ParsedBlock, combine_blocks
from chainprice.core.engine import price_amounts
from chainprice.core.errors import WindowError
from chainprice.core.output_filter import Amounts, candidate_transactions, in_range, to_btc
from chainprice.core.result import PriceResult, WindowKind
from chainprice.core.same_window import latest_funding
from chainprice.core.windows import MAX_LAKE_WINDOW, SPEND_LOOKBACK, Window


@dataclass(frozen=True)
class KnownTxids:
    """Txids of the blocks just below a batch, in chain order, with their heights."""

    height: np.ndarray  # int32 (K,)
    txid: np.ndarray  # uint8 (K, 32)

    @classmethod
    def empty(cls) -> KnownTxids:
        return cls(np.zeros(0, np.int32), np.zeros((0, 32), np.uint8))


PRICING_COLUMNS = ("height", "value_sats", "time", "funding_height")
"""The columns a window's price reads; the others locate an output for people."""


@dataclass(frozen=True)
class OutputRows:
    """Rows of the lake's ``outputs`` table, ordered by (height, tx_index, vout)."""

    height: np.ndarray  # int32
    tx_index: np.ndarray  # int32
    vout: np.ndarray  # int8
    value_sats: np.ndarray  # int64
    time: np.ndarray  # int64
    funding_height: np.ndarray  # int32

    @property
    def size(self) -> int:
        return int(self.height.size)


@dataclass(frozen=True)
class BlockRows:
    """A batch of consecutive blocks as the lake stores them."""

    outputs: OutputRows
    txids: KnownTxids
    tx_index: np.ndarray  # int32 position of each txid in its block


def block_rows(blocks: Sequence[ParsedBlock], known: KnownTxids) -> BlockRows:
    """Lake rows of consecutive ``blocks``; ``known`` holds the txids of the lookback below them.

    The result does not depend on how a run of blocks is split into batches,
    provided ``known`` covers the ``SPEND_LOOKBACK`` blocks below each batch.
    """
    cols = combine_blocks(blocks)
    tx_height = np.repeat(cols.block_height, np.diff(cols.block_tx_start)).astype(np.int32)
    tx_index = (
        np.arange(cols.n_transactions)
        - np.repeat(cols.block_tx_start[:-1], np.diff(cols.block_tx_start))
    ).astype(np.int32)
    candidate = candidate_transactions(cols)
    k = known.height.size
    funder = latest_funding(
        np.concatenate([known.txid, cols.txid]),
        cols.in_prev_txid,
        np.concatenate([np.zeros(k, np.int64), cols.tx_in_start]),
        np.concatenate([np.zeros(k, np.bool_), candidate]),
    )[k:]
    all_heights = np.concatenate([known.height, tx_height])
    funding = np.where(funder >= 0, all_heights[np.maximum(funder, 0)], -1)
    funding = np.where(funding >= tx_height - SPEND_LOOKBACK, funding, -1).astype(np.int32)

    per_out = np.repeat(candidate, cols.tx_n_out)
    out_tx = np.repeat(np.arange(cols.n_transactions), cols.tx_n_out)
    vout = np.arange(cols.out_value.size) - cols.tx_out_start[out_tx]
    keep = per_out & in_range(to_btc(cols.out_value))
    rows = OutputRows(
        height=cols.out_height[keep].astype(np.int32),
        tx_index=tx_index[out_tx[keep]],
        vout=vout[keep].astype(np.int8),
        value_sats=cols.out_value[keep].astype(np.int64),
        time=cols.out_time[keep],
        funding_height=funding[out_tx[keep]],
    )
    return BlockRows(rows, KnownTxids(tx_height, cols.txid), tx_index)


def window_amounts(rows: OutputRows, window: Window) -> Amounts:
    """The amounts ``window`` records, from lake rows covering at least its heights."""
    if window.n_blocks > MAX_LAKE_WINDOW:
        raise WindowError(
            f"window [{window.start}, {window.end}) is {window.n_blocks} blocks; with its "
            f"spend lookback of {SPEND_LOOKBACK} blocks the lake prices windows of at most "
            f"{MAX_LAKE_WINDOW} blocks"
        )
    keep = (
        (rows.height >= window.start)
        & (rows.height < window.end)
        & (rows.funding_height < window.start)
    )
    return Amounts(
        btc=to_btc(rows.value_sats[keep]),
        height=rows.height[keep].astype(np.int64),
        time=rows.time[keep],
    )


def price_rows(
    rows: OutputRows, window: Window, kind: WindowKind, day: dt.date | None = None
) -> PriceResult:
    """A window's price from lake rows alone; equal to pricing the raw blocks."""
    return price_amounts(window_amounts(rows, window), window, kind, day)
