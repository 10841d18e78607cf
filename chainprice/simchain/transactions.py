"""Serialize transactions in bulk and hash them.

A group is ``k`` transactions of one shape, built as a ``(k, size)`` matrix:
random bytes everywhere, then the template's fixed bytes, the values, the
previous-output indices, the locktimes and (for chain spends) the parents'
txids written as whole columns. A batch is the groups of one build phase
laid end to end in one buffer, with txids and wtxids hashed in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chainprice.core.sha256d import double_sha256_spans
from chainprice.simchain.layout import Template


@dataclass(frozen=True)
class Parents:
    """Outputs that a group's first inputs spend (one row per transaction)."""

    txids: np.ndarray
    vouts: np.ndarray


def fill_group(
    rng: np.random.Generator,
    tpl: Template,
    values: np.ndarray,
    locktimes: np.ndarray,
    parents: Parents | None = None,
) -> np.ndarray:
    """The ``(k, size)`` bytes of ``k = len(values)`` transactions of one shape."""
    k = values.shape[0]
    m = rng.integers(0, 256, (k, tpl.size), dtype=np.uint8)
    m[:, tpl.const_cols] = tpl.data[tpl.const_cols]
    m[:, tpl.value_cols] = values.astype("<u8").view(np.uint8).reshape(k, -1)
    n_in = tpl.txid_offsets.size
    vouts = rng.integers(0, 3, (k, n_in)).astype("<u4")
    if parents is not None:
        vouts[:, 0] = parents.vouts
        first = tpl.txid_offsets[0]
        m[:, first : first + 32] = parents.txids
    m[:, tpl.vout_cols] = vouts.view(np.uint8).reshape(k, -1)
    lt = tpl.locktime_offset
    m[:, lt : lt + 4] = locktimes.astype("<u4").view(np.uint8).reshape(k, 4)
    return m


@dataclass(frozen=True)
class TxBatch:
    """Transactions laid end to end, with what later steps need to know of each."""

    buf: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    txids: np.ndarray
    """``(n, 32)`` internal byte order (as they appear in a spending input)."""
    wtxids: np.ndarray
    n_outputs: np.ndarray
    spendable: np.ndarray
    """Whether a later transaction may spend this one's outputs (not OP_RETURN kinds)."""

    def __len__(self) -> int:
        return int(self.starts.size)

    @classmethod
    def empty(cls) -> TxBatch:
        none = np.zeros(0, dtype=np.int64)
        hashes = np.zeros((0, 32), dtype=np.uint8)
        return cls(np.zeros(0, np.uint8), none, none, hashes, hashes, none, none.astype(bool))

    @classmethod
    def from_groups(cls, groups: list[tuple[Template, np.ndarray, bool]]) -> TxBatch:
        """Lay out ``(template, matrix, spendable)`` groups and hash every transaction."""
        if not groups:
            return cls.empty()
        sizes = np.concatenate([np.full(m.shape[0], tpl.size, np.int64) for tpl, m, _ in groups])
        starts = np.zeros_like(sizes)
        np.cumsum(sizes[:-1], out=starts[1:])
        spans = np.concatenate(
            [np.broadcast_to(tpl.spans, (m.shape[0], 6)) for tpl, m, _ in groups]
        )
        spans = spans + starts[:, None]
        wspans = np.zeros_like(spans)
        wspans[:, 0] = starts
        wspans[:, 1] = starts + sizes
        buf = np.concatenate([m.reshape(-1) for _, m, _ in groups])
        n_outputs = np.concatenate([np.full(m.shape[0], tpl.n_outputs) for tpl, m, _ in groups])
        spendable = np.concatenate([np.full(m.shape[0], ok) for _, m, ok in groups])
        return cls(
            buf=buf,
            starts=starts,
            sizes=sizes,
            txids=double_sha256_spans(buf, spans),
            wtxids=double_sha256_spans(buf, wspans),
            n_outputs=n_outputs,
            spendable=spendable,
        )


def ordered_transactions(batches: Sequence[TxBatch], order: np.ndarray) -> list[memoryview]:
    """The batches' transactions as slices of their buffers, in ``order``.

    ``order`` indexes the batches' transactions numbered end to end.
    """
    slices = []
    for batch in batches:
        view = memoryview(batch.buf)
        ends = (batch.starts + batch.sizes).tolist()
        slices += [view[s:e] for s, e in zip(batch.starts.tolist(), ends, strict=True)]
    return [slices[i] for i in order.tolist()]
