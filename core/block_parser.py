"""Raw blocks of a window in, one set of columnar arrays out.

The byte walk itself is compiled (``core.block_walk``); this module checks
what the walk cannot see on its own: that the transactions hash to the
header's merkle root and that consecutive heights link by previous-block
hash. A node that serves a wrong or corrupted block is then caught here,
with the height and byte offset, instead of silently changing a price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core.block_walk import (
    ERROR_REASONS,
    FLAG_COINBASE,
    FLAG_LARGE_WITNESS,
    FLAG_OP_RETURN,
    FLAG_SEGWIT,
    HEADER_SIZE,
    OK,
    walk_block,
)
from core.errors import BlockParseError
from core.sha256d import double_sha256, double_sha256_spans, merkle_tree


class RawBlock(NamedTuple):
    """One block as the node serves it (``getblock <hash> 0``), with its height."""

    height: int
    data: bytes | bytearray | memoryview


@dataclass(frozen=True)
class WindowColumns:
    """Every block, transaction, input and output of a window, as flat arrays.

    Rows are in chain order (blocks by height, transactions in block order,
    inputs and outputs in transaction order). ``*_start`` arrays are offsets
    with one extra final element, so rows of block ``b`` are
    ``block_tx_start[b]:block_tx_start[b + 1]``. Hashes are in internal
    (wire) byte order; reverse them for the usual display hex.
    """

    block_height: np.ndarray  # int64 (B,)
    block_time: np.ndarray  # int64 (B,) header timestamp
    block_hash: np.ndarray  # uint8 (B, 32)
    block_tx_start: np.ndarray  # int64 (B + 1,)
    tx_n_in: np.ndarray  # int32 (T,)
    tx_n_out: np.ndarray  # int32 (T,)
    tx_flags: np.ndarray  # uint8 (T,) FLAG_* bits of core.block_walk
    txid: np.ndarray  # uint8 (T, 32)
    tx_in_start: np.ndarray  # int64 (T + 1,)
    tx_out_start: np.ndarray  # int64 (T + 1,)
    in_prev_txid: np.ndarray  # uint8 (I, 32)
    in_prev_vout: np.ndarray  # uint32 (I,)
    out_value: np.ndarray  # uint64 (O,) satoshis
    out_height: np.ndarray  # int64 (O,) height of the block holding the output
    out_time: np.ndarray  # int64 (O,) header time of that block
    n_bytes: int  # raw bytes walked

    @property
    def n_transactions(self) -> int:
        return int(self.tx_n_in.size)

    @property
    def is_segwit(self) -> np.ndarray:
        return (self.tx_flags & FLAG_SEGWIT) != 0

    @property
    def is_coinbase(self) -> np.ndarray:
        return (self.tx_flags & FLAG_COINBASE) != 0

    @property
    def has_op_return(self) -> np.ndarray:
        return (self.tx_flags & FLAG_OP_RETURN) != 0

    @property
    def has_large_witness(self) -> np.ndarray:
        return (self.tx_flags & FLAG_LARGE_WITNESS) != 0

    def txids_hex(self) -> list[str]:
        """Txids in display (byte-reversed) hex, in chain order."""
        return [row[::-1].tobytes().hex() for row in self.txid]

    def block_hash_hex(self, b: int) -> str:
        return self.block_hash[b, ::-1].tobytes().hex()


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def parse_blocks(blocks: Sequence[RawBlock]) -> WindowColumns:
    """Parse the blocks of a window (strictly increasing heights) into columns.

    Raises ``BlockParseError`` naming the height and byte offset of the first
    malformed, truncated or inconsistent block.
    """
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("n_in", "n_out", "flags", "txid", "prev", "vout", "value")
    }
    heights: list[int] = []
    times: list[int] = []
    hashes: list[bytes] = []
    tx_counts: list[int] = []
    out_counts: list[int] = []
    n_bytes = 0
    for height, data in blocks:
        if heights and height <= heights[-1]:
            raise BlockParseError(height, 0, f"blocks out of order: {height} after {heights[-1]}")
        buf = np.frombuffer(data, np.uint8)
        buf.flags.writeable = False  # one compiled specialisation for bytes and bytearray
        walk = walk_block(buf)
        if walk.status != OK:
            raise BlockParseError(height, walk.error_offset, ERROR_REASONS[walk.status])
        txid = double_sha256_spans(buf, walk.spans)
        header = bytes(buf[:80])
        root, mutated = merkle_tree(txid)
        if root != header[36:68]:
            raise BlockParseError(
                height, 36, "the merkle root in the header does not match the transactions"
            )
        if mutated:
            raise BlockParseError(
                height, HEADER_SIZE, "repeated transactions (a mutated merkle tree)"
            )
        if heights and heights[-1] == height - 1 and header[4:36] != hashes[-1]:
            raise BlockParseError(
                height, 4, f"previous-block hash does not match block {height - 1}"
            )
        heights.append(height)
        times.append(int.from_bytes(header[68:72], "little"))
        hashes.append(double_sha256(header))
        tx_counts.append(walk.n_in.size)
        out_counts.append(walk.value.size)
        n_bytes += buf.size
        columns = (walk.n_in, walk.n_out, walk.flags, txid, walk.prev_txid, walk.prev_vout)
        for key, arr in zip(parts, (*columns, walk.value), strict=True):
            parts[key].append(arr)

    def cat(key: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else empty

    tx_n_in = cat("n_in", np.empty(0, np.int32))
    tx_n_out = cat("n_out", np.empty(0, np.int32))
    block_height = np.array(heights, np.int64)
    block_time = np.array(times, np.int64)
    outs = np.array(out_counts, np.int64)
    return WindowColumns(
        block_height=block_height,
        block_time=block_time,
        block_hash=np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, 32),
        block_tx_start=_offsets(np.array(tx_counts, np.int64)),
        tx_n_in=tx_n_in,
        tx_n_out=tx_n_out,
        tx_flags=cat("flags", np.empty(0, np.uint8)),
        txid=cat("txid", np.empty((0, 32), np.uint8)),
        tx_in_start=_offsets(tx_n_in),
        tx_out_start=_offsets(tx_n_out),
        in_prev_txid=cat("prev", np.empty((0, 32), np.uint8)),
        in_prev_vout=cat("vout", np.empty(0, np.uint32)),
        out_value=cat("value", np.empty(0, np.uint64)),
        out_height=np.repeat(block_height, outs),
        out_time=np.repeat(block_time, outs),
        n_bytes=n_bytes,
    )
