"""Raw blocks already in memory (a simulated chain) as a chain source."""

from __future__ import annotations

from collections.abc import Mapping

from chainprice.core.block_parser import RawBlock
from chainprice.core.errors import SourceError


class MemoryChain:
    """Header source and block fetcher over ``{height: raw block}``; the top height is the tip."""

    def __init__(self, blocks: Mapping[int, bytes]) -> None:
        if not blocks:
            raise SourceError("an in-memory chain needs at least one block")
        self._blocks = dict(blocks)

    def _raw(self, height: int) -> bytes:
        try:
            return self._blocks[height]
        except KeyError:
            lo, hi = min(self._blocks), max(self._blocks)
            raise SourceError(f"no block at height {height} (the chain holds {lo}..{hi})") from None

    def block_count(self) -> int:
        return max(self._blocks)

    def header_time(self, height: int) -> int:
        return int.from_bytes(self._raw(height)[68:72], "little")

    def fetch(self, start: int, end: int) -> list[RawBlock]:
        """Raw blocks of heights ``[start, end)``, in order."""
        return [RawBlock(h, self._raw(h)) for h in range(start, end)]
