"""Unconfirmed transactions as columns: what the mempool estimate needs to know of each one.

Raw transactions are walked by the block walker itself (``core.block_walk``):
they are laid out behind an empty 80-byte header and a transaction count,
exactly as a block would hold them, so the filters see the same flags the
confirmed computation sees and no second parser exists. Each transaction is
then checked to end where its raw bytes end (one transaction per answer) and
to hash to the txid the node listed it under.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chainprice.core.block_walk import ERROR_REASONS, HEADER_SIZE, OK, walk_block
from chainprice.core.errors import ChainPriceError
from chainprice.core.sha256d import double_sha256_spans


class TransactionParseError(ChainPriceError):
    """A raw unconfirmed transaction that is malformed or is not the one asked for."""


@dataclass(frozen=True)
class MempoolTxs:
    """Per unconfirmed transaction, the facts the filters and the histogram use.

    ``value`` holds the first two output values (0 where a transaction has
    fewer): only two-output transactions are ever priced, so nothing more is
    kept. ``in_start`` is an offset array (one extra final element) into
    ``prev_txid``. Hashes are in internal (wire) byte order.
    """

    txid: np.ndarray  # uint8 (T, 32)
    time: np.ndarray  # int64 (T,) entry time, unix seconds (the node's clock)
    n_in: np.ndarray  # int32 (T,)
    n_out: np.ndarray  # int32 (T,)
    flags: np.ndarray  # uint8 (T,) FLAG_* bits of core.block_walk
    value: np.ndarray  # uint64 (T, 2) satoshis
    has_parent: np.ndarray  # bool (T,) the node said it spends an unconfirmed tx (``depends``)
    in_start: np.ndarray  # int64 (T + 1,)
    prev_txid: np.ndarray  # uint8 (I, 32)

    @property
    def size(self) -> int:
        return int(self.time.size)

    def select(self, keep: np.ndarray) -> MempoolTxs:
        """The transactions where ``keep`` (bool per transaction) is set, in order."""
        per_input = np.repeat(keep, np.diff(self.in_start))
        return MempoolTxs(
            txid=self.txid[keep],
            time=self.time[keep],
            n_in=self.n_in[keep],
            n_out=self.n_out[keep],
            flags=self.flags[keep],
            value=self.value[keep],
            has_parent=self.has_parent[keep],
            in_start=_offsets(np.diff(self.in_start)[keep]),
            prev_txid=self.prev_txid[per_input],
        )

    def txids_hex(self) -> list[str]:
        return [row[::-1].tobytes().hex() for row in self.txid]


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def empty_txs() -> MempoolTxs:
    return MempoolTxs(
        txid=np.empty((0, 32), np.uint8),
        time=np.empty(0, np.int64),
        n_in=np.empty(0, np.int32),
        n_out=np.empty(0, np.int32),
        flags=np.empty(0, np.uint8),
        value=np.empty((0, 2), np.uint64),
        has_parent=np.empty(0, bool),
        in_start=np.zeros(1, np.int64),
        prev_txid=np.empty((0, 32), np.uint8),
    )


def concat_txs(parts: Sequence[MempoolTxs]) -> MempoolTxs:
    """Transactions of ``parts`` one after another."""
    parts = [p for p in parts if p.size] or [empty_txs()]
    return MempoolTxs(
        txid=np.concatenate([p.txid for p in parts]),
        time=np.concatenate([p.time for p in parts]),
        n_in=np.concatenate([p.n_in for p in parts]),
        n_out=np.concatenate([p.n_out for p in parts]),
        flags=np.concatenate([p.flags for p in parts]),
        value=np.concatenate([p.value for p in parts]),
        has_parent=np.concatenate([p.has_parent for p in parts]),
        in_start=_offsets(np.concatenate([np.diff(p.in_start) for p in parts])),
        prev_txid=np.concatenate([p.prev_txid for p in parts]),
    )


def _compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def _first_two(values: np.ndarray, out_start: np.ndarray, n_out: np.ndarray) -> np.ndarray:
    pair = np.zeros((n_out.size, 2), np.uint64)
    for k in (0, 1):
        has = n_out > k
        pair[has, k] = values[out_start[:-1][has] + k]
    return pair


def parse_transactions(
    raws: Sequence[bytes],
    times: Sequence[int] | np.ndarray,
    txids: Sequence[str] | None = None,
    has_parent: Sequence[bool] | np.ndarray | None = None,
) -> MempoolTxs:
    """Walk raw transactions (one per item) into columns.

    ``txids`` (display hex), when given, are the ids the node listed each
    transaction under; a transaction hashing to another id is refused.
    Raises ``TransactionParseError`` naming the first bad transaction.
    """
    n = len(raws)
    if n == 0:
        return empty_txs()
    lengths = np.fromiter((len(r) for r in raws), np.int64, n)
    prefix = bytes(HEADER_SIZE) + _compact_size(n)
    buf = np.frombuffer(prefix + b"".join(raws), np.uint8)
    buf.flags.writeable = False
    walk = walk_block(buf)
    ends = len(prefix) + np.cumsum(lengths)
    if walk.status != OK:
        bad = int(np.searchsorted(ends, walk.error_offset, side="right"))
        raise TransactionParseError(
            f"unconfirmed transaction {_name(txids, bad)}: {ERROR_REASONS[walk.status]}"
        )
    found_ends = np.maximum(walk.spans[:, 1], walk.spans[:, 5])
    if found_ends.size != n or not np.array_equal(found_ends, ends):
        bad = int(np.argmax(found_ends != ends)) if found_ends.size == n else 0
        raise TransactionParseError(
            f"unconfirmed transaction {_name(txids, bad)} is not exactly one transaction"
        )
    txid = double_sha256_spans(buf, walk.spans)
    if txids is not None:
        expected = np.frombuffer(b"".join(bytes.fromhex(t)[::-1] for t in txids), np.uint8)
        wrong = np.flatnonzero((txid != expected.reshape(-1, 32)).any(axis=1))
        if wrong.size:
            raise TransactionParseError(
                f"the node's transaction {txids[wrong[0]]} hashes to another txid"
            )
    out_start = _offsets(walk.n_out.astype(np.int64))
    return MempoolTxs(
        txid=txid,
        time=np.asarray(times, np.int64),
        n_in=walk.n_in,
        n_out=walk.n_out,
        flags=walk.flags,
        value=_first_two(walk.value, out_start, walk.n_out),
        has_parent=np.zeros(n, bool) if has_parent is None else np.asarray(has_parent, bool),
        in_start=_offsets(walk.n_in.astype(np.int64)),
        prev_txid=walk.prev_txid,
    )


def _name(txids: Sequence[str] | None, index: int) -> str:
    return txids[index] if txids is not None and index < len(txids) else f"#{index}"
