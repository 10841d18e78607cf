"""Raw blocks of a window in, one set of columnar arrays out.

The byte walk itself is compiled (``core.block_walk``); this module checks
what the walk cannot see on its own: that the transactions hash to the
header's merkle root and that consecutive heights link by previous-block
hash. A node that serves a wrong or corrupted block is then caught here,
with the height and byte offset, instead of silently changing a price.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from chainprice.core.block_walk import (
    ERROR_REASONS,
    FLAG_COINBASE,
    FLAG_LARGE_WITNESS,
    FLAG_OP_RETURN,
    FLAG_SEGWIT,
    HEADER_SIZE,
    OK,
    BlockWalk,
    walk_block,
)
from chainprice.core.errors import BlockParseError
from chainprice.core.sha256d import double_sha256, double_sha256_spans, merkle_tree


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


@dataclass(frozen=True)
class ParsedBlock:
    """One block walked, hashed and checked on its own.

    Parsing block by block lets a fetcher parse each block as it arrives (the
    kernels release the GIL) and refetch a block that fails its checks; the
    chain-level check (previous-hash links) waits for ``combine_blocks``.
    """

    height: int
    header: bytes  # the 80-byte header
    block_hash: bytes  # internal byte order
    walk: BlockWalk
    txid: np.ndarray  # uint8 (T, 32)
    n_bytes: int

    @property
    def time(self) -> int:
        return int.from_bytes(self.header[68:72], "little")

    @property
    def prev_hash(self) -> bytes:
        return self.header[4:36]

    @property
    def n_transactions(self) -> int:
        return int(self.walk.n_in.size)


def parse_block(height: int, data: bytes | bytearray | memoryview) -> ParsedBlock:
    """Walk one block and check its transactions against the header's merkle root.

    Raises ``BlockParseError`` naming the height and byte offset when the block
    is malformed, truncated, or its transactions do not hash to the header.
    """
    buf = np.frombuffer(data, np.uint8)
    buf.flags.writeable = False  # one compiled specialisation for bytes and bytearray
    walk = walk_block(buf)
    if walk.status != OK:
        raise BlockParseError(height, walk.error_offset, ERROR_REASONS[walk.status])
    txid = double_sha256_spans(buf, walk.spans)
    header = bytes(buf[:HEADER_SIZE])
    root, mutated = merkle_tree(txid)
    if root != header[36:68]:
        raise BlockParseError(
            height, 36, "the merkle root in the header does not match the transactions"
        )
    if mutated:
        raise BlockParseError(height, HEADER_SIZE, "repeated transactions (a mutated merkle tree)")
    return ParsedBlock(height, header, double_sha256(header), walk, txid, int(buf.size))


def combine_blocks(blocks: Sequence[ParsedBlock]) -> WindowColumns:
    """Join parsed blocks (strictly increasing heights) into one window's columns.

    Raises ``BlockParseError`` when heights go backwards or a block does not
    link to the block one height below it.
    """
    for before, block in itertools.pairwise(blocks):
        if block.height <= before.height:
            raise BlockParseError(
                block.height, 0, f"blocks out of order: {block.height} after {before.height}"
            )
        if block.height == before.height + 1 and block.prev_hash != before.block_hash:
            raise BlockParseError(
                block.height, 4, f"previous-block hash does not match block {before.height}"
            )

    def cat(column: Callable[[ParsedBlock], np.ndarray], empty: np.ndarray) -> np.ndarray:
        return np.concatenate([column(b) for b in blocks]) if blocks else empty

    tx_n_in = cat(lambda b: b.walk.n_in, np.empty(0, np.int32))
    tx_n_out = cat(lambda b: b.walk.n_out, np.empty(0, np.int32))
    block_height = np.array([b.height for b in blocks], np.int64)
    block_time = np.array([b.time for b in blocks], np.int64)
    outs = np.array([b.walk.value.size for b in blocks], np.int64)
    return WindowColumns(
        block_height=block_height,
        block_time=block_time,
        block_hash=np.frombuffer(b"".join(b.block_hash for b in blocks), np.uint8).reshape(-1, 32),
        block_tx_start=_offsets(np.array([b.n_transactions for b in blocks], np.int64)),
        tx_n_in=tx_n_in,
        tx_n_out=tx_n_out,
        tx_flags=cat(lambda b: b.walk.flags, np.empty(0, np.uint8)),
        txid=cat(lambda b: b.txid, np.empty((0, 32), np.uint8)),
        tx_in_start=_offsets(tx_n_in),
        tx_out_start=_offsets(tx_n_out),
        in_prev_txid=cat(lambda b: b.walk.prev_txid, np.empty((0, 32), np.uint8)),
        in_prev_vout=cat(lambda b: b.walk.prev_vout, np.empty(0, np.uint32)),
        out_value=cat(lambda b: b.walk.value, np.empty(0, np.uint64)),
        out_height=np.repeat(block_height, outs),
        out_time=np.repeat(block_time, outs),
        n_bytes=sum(b.n_bytes for b in blocks),
    )


def parse_blocks(blocks: Iterable[RawBlock]) -> WindowColumns:
    """Parse the blocks of a window (strictly increasing heights) into columns.

    Raises ``BlockParseError`` naming the height and byte offset of the first
    malformed, truncated or inconsistent block.
    """
    return combine_blocks([parse_block(height, data) for height, data in blocks])
