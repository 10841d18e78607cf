"""An in-process node over golden block files, for unit tests of the lake (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chainprice.adapters.block_files import BlockFiles
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
