"""Reading windows back from the lake: headers for the window rules, rows for the prices.

Objects are located by the heights in their names and read only when a
height inside them is asked for, so pricing a day reads that day's objects
and little else.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chainprice.adapters.storage import ObjectStore
from chainprice.core.block_outputs import PRICING_COLUMNS, KnownTxids, OutputRows
from chainprice.core.errors import SourceError
from chainprice.core.windows import HeaderSource
from chainprice.lake.manifest import Manifest
from chainprice.lake.objects import block_objects, overlapping
from chainprice.lake.parquet_io import read_tables
from chainprice.lake.segments import covering
from chainprice.lake_schema import get_table


class LakeBlocks:
    """The lake's block index as a ``core.windows.HeaderSource``; its top block is the tip."""

    def __init__(self, store: ObjectStore, manifest: Manifest) -> None:
        self.store = store
        self.manifest = manifest
        self._objects = block_objects(manifest, "blocks")
        self._time: dict[int, int] = {}
        self._hash: dict[int, str] = {}
        self._loaded: set[str] = set()

    @property
    def empty(self) -> bool:
        return self.manifest.tip_height is None

    def block_count(self) -> int:
        if self.manifest.tip_height is None:
            raise SourceError(f"the lake at {self.store.url} holds no blocks yet (run ingest)")
        return self.manifest.tip_height

    def _load(self, height: int) -> None:
        for obj in overlapping(self._objects, height, height):
            if obj.name in self._loaded:
                continue
            table = read_tables(
                self.store, [obj.name], get_table("blocks").schema, sizes=self.manifest.objects
            )
            heights = table["height"].to_pylist()
            self._time.update(zip(heights, table["time"].to_pylist(), strict=True))
            self._hash.update(zip(heights, table["hash"].to_pylist(), strict=True))
            self._loaded.add(obj.name)

    def _check(self, height: int) -> None:
        if height not in self._time:
            self._load(height)
        if height not in self._time:
            first, tip = self.manifest.first_height, self.manifest.tip_height
            raise SourceError(
                f"the lake has no block at height {height} (it holds {first}..{tip}); "
                "backfill or ingest it first"
            )

    def header_time(self, height: int) -> int:
        self._check(height)
        return self._time[height]

    def block_hash(self, height: int) -> str:
        self._check(height)
        return self._hash[height]

    def times(self, first: int, last: int) -> list[int]:
        return [self.header_time(h) for h in range(first, last + 1)]


def output_rows(
    store: ObjectStore, manifest: Manifest, first: int, last: int, *, pricing_only: bool = False
) -> OutputRows:
    """Rows of ``outputs`` for heights ``[first, last]``, in chain order.

    ``pricing_only`` reads just the columns a price needs (the others come back empty).
    """
    names = [o.name for o in overlapping(block_objects(manifest, "outputs"), first, last)]
    wanted = PRICING_COLUMNS if pricing_only else tuple(OutputRows.__dataclass_fields__)
    table = read_tables(
        store, names, get_table("outputs").schema, columns=wanted, sizes=manifest.objects
    )
    keep = _chain_order(table["height"].to_numpy(), first, last)
    return OutputRows(
        **{
            f: np.ascontiguousarray(table[f].to_numpy()[keep])
            if f in wanted
            else np.empty(0, np.int32)
            for f in OutputRows.__dataclass_fields__
        }
    )


def _chain_order(height: np.ndarray, first: int, last: int) -> np.ndarray:
    """Indices of rows in ``[first, last]``, by height.

    Objects are per UTC day of the header time, and header times are not
    monotonic: a block stamped before midnight can follow one stamped after,
    so rows of consecutive objects can interleave by height. Within one object
    rows are in chain order, so a stable sort by height restores it.
    """
    inside = np.flatnonzero((height >= first) & (height <= last))
    if np.all(np.diff(height[inside]) >= 0):
        return inside
    return inside[np.argsort(height[inside], kind="stable")]


def known_txids(store: ObjectStore, manifest: Manifest, first: int, last: int) -> KnownTxids:
    """Txids of heights ``[first, last]`` in chain order: the lookback of the next batch."""
    if last < first:
        return KnownTxids.empty()
    names = [o.name for o in overlapping(block_objects(manifest, "txids"), first, last)]
    table = read_tables(
        store, names, get_table("txids").schema, columns=["height", "txid"], sizes=manifest.objects
    )
    height = table["height"].to_numpy()
    txid_col = table["txid"].combine_chunks() if table.num_rows else pa.array([], pa.binary(32))
    raw = np.frombuffer(txid_col.buffers()[1], np.uint8)[
        txid_col.offset * 32 : (txid_col.offset + len(txid_col)) * 32
    ].reshape(-1, 32)
    keep = _chain_order(height, first, last)
    return KnownTxids(height[keep].astype(np.int32), raw[keep])


class NodeTipHeaders:
    """Header times from the lake where it has them, else from the node, with the node's tip.

    Writers price days with the reference walk from the node's tip, not the
    lake's: the walk depends on the tip, and the node's is the same for every
    writer (a backfill of old days and an ingest running at once give the
    same windows as one sequential run).
    """

    def __init__(self, lake: LakeBlocks, node: HeaderSource) -> None:
        self.lake, self.node = lake, node

    def block_count(self) -> int:
        return self.node.block_count()

    def header_time(self, height: int) -> int:
        if covering(self.lake.manifest, height, height) is not None:
            return self.lake.header_time(height)
        return self.node.header_time(height)
