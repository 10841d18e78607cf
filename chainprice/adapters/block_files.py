"""A folder of raw blocks on disk (``<height>.bin`` or ``<height>.bin.gz``) as a chain source.

It serves the engine's two needs, header times and a window's raw blocks,
for golden chains, exported simulated chains and blocks saved from a node.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import IO

from chainprice.core.block_parser import RawBlock
from chainprice.core.errors import SourceError

_NAME = re.compile(r"^(\d+)\.bin(\.gz)?$")


class BlockFiles:
    """Header source and block fetcher over one folder; the highest height is the tip."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            problem = "is not a folder" if self.folder.exists() else "does not exist"
            raise SourceError(f"block folder {self.folder} {problem}")
        self._paths: dict[int, Path] = {}
        for path in self.folder.iterdir():
            match = _NAME.match(path.name)
            if match:
                self._paths[int(match.group(1))] = path
        if not self._paths:
            raise SourceError(f"no <height>.bin or <height>.bin.gz files in {self.folder}")
        self._times: dict[int, int] = {}

    def _open(self, height: int) -> IO[bytes]:
        try:
            path = self._paths[height]
        except KeyError:
            lo, hi = min(self._paths), max(self._paths)
            raise SourceError(
                f"no block at height {height} in {self.folder} (it holds {lo}..{hi})"
            ) from None
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")

    def block_count(self) -> int:
        return max(self._paths)

    def header_time(self, height: int) -> int:
        if height not in self._times:
            with self._open(height) as f:
                header = f.read(80)
            if len(header) < 80:
                raise SourceError(f"block file for height {height} is shorter than a header")
            self._times[height] = int.from_bytes(header[68:72], "little")
        return self._times[height]

    def fetch(self, start: int, end: int) -> list[RawBlock]:
        """Raw blocks of heights ``[start, end)``, in order."""
        blocks = []
        for height in range(start, end):
            with self._open(height) as f:
                blocks.append(RawBlock(height, f.read()))
        return blocks
