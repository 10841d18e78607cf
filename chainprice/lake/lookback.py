"""What a batch of blocks needs from below its first block, without reading those blocks.

The same-window spend rule needs the txids of the ``SPEND_LOOKBACK`` blocks
below a batch, and the median time past the header times of the
``MTP_SPAN`` blocks below it. Both come from the lake where it holds those
heights, else from the node's txid lists and headers - never from raw
blocks, which whoever writes those heights reads. So a block's rows are the
same whatever order the lake was filled in (one run, or parallel chunks).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from chainprice.adapters.storage import ObjectStore
from chainprice.core.block_outputs import SPEND_LOOKBACK, KnownTxids
from chainprice.lake.block_writer import MTP_SPAN
from chainprice.lake.manifest import Manifest
from chainprice.lake.reader import LakeBlocks, known_txids
from chainprice.lake.segments import covering, split


class LookbackSource(Protocol):
    def header_time(self, height: int) -> int: ...
    def txids(self, start: int, end: int) -> KnownTxids: ...


def floor_height(node: object) -> int:
    """The lowest height the node serves (0 for a real node; simulated chains start later)."""
    first = getattr(node, "first_height", None)
    return first() if callable(first) else 0


def lookback(
    store: ObjectStore, manifest: Manifest, node: LookbackSource, start: int, floor: int
) -> tuple[KnownTxids, list[int]]:
    """Txids of the lookback below ``start`` and header times of the ``MTP_SPAN`` blocks below
    it, none below ``floor``."""
    parts = [
        known_txids(store, manifest, a, b) if held else node.txids(a, b + 1)
        for a, b, held in split(manifest, max(floor, start - SPEND_LOOKBACK), start - 1)
    ]
    known = KnownTxids(
        np.concatenate([KnownTxids.empty().height, *(p.height for p in parts)]),
        np.concatenate([KnownTxids.empty().txid, *(p.txid for p in parts)]),
    )
    lake = LakeBlocks(store, manifest)
    times = [
        lake.header_time(h) if covering(manifest, h, h) else node.header_time(h)
        for h in range(max(floor, start - MTP_SPAN), start)
    ]
    return known, times
