"""An in-process node over golden block files, for unit tests of the lake (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from chainprice.adapters.block_files import BlockFiles
from chainprice.core import parse_block
from chainprice.core.block_outputs import KnownTxids
from chainprice.core.sha256d import double_sha256


class FileNode:
    """What ingestion needs from a node, over ``{height: raw block}``; counts block reads."""

    def __init__(self, blocks: dict[int, bytes]) -> None:
        self.blocks = dict(blocks)
        self.reads: list[int] = []

    @classmethod
    def from_files(cls, chain: BlockFiles, first: int, last: int) -> FileNode:
        return cls({b.height: bytes(b.data) for b in chain.fetch(first, last + 1)})

    def block_count(self) -> int:
        return max(self.blocks)

    def first_height(self) -> int:
        return min(self.blocks)

    def txids(self, start: int, end: int) -> KnownTxids:
        """The blocks' txids (parsed here; a real node lists them without sending the block)."""
        parsed = [parse_block(h, self.blocks[h]) for h in range(start, end)]
        height = [np.full(p.n_transactions, p.height, np.int32) for p in parsed]
        return KnownTxids(
            np.concatenate([np.zeros(0, np.int32), *height]),
            np.concatenate([np.zeros((0, 32), np.uint8), *(p.txid for p in parsed)]),
        )

    def header_time(self, height: int) -> int:
        return int.from_bytes(self.blocks[height][68:72], "little")

    def block_hash(self, height: int) -> str:
        return double_sha256(self.blocks[height][:80])[::-1].hex()

    def iter_blocks(
        self, start: int, end: int, verify: Callable[[int, bytes], Any]
    ) -> Iterator[Any]:
        for height in range(start, end):
            self.reads.append(height)
            yield verify(height, self.blocks[height])

    def fork(self, at: int, replacement: dict[int, bytes]) -> FileNode:
        """This chain up to ``at - 1``, then ``replacement``'s blocks relinked on top of it."""
        blocks = {h: b for h, b in self.blocks.items() if h < at}
        prev = double_sha256(blocks[at - 1][:80])
        for height in sorted(replacement):
            raw = bytearray(replacement[height])
            raw[4:36] = prev
            blocks[height] = bytes(raw)
            prev = double_sha256(bytes(raw[:80]))
        return FileNode(blocks)
