"""A batch of parsed blocks into the lake's per-block tables, one object per table and day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from adapters.storage import ObjectStore
from core import ParsedBlock
from core.block_outputs import BlockRows
from core.windows import utc_date
from lake.manifest import Manifest
from lake.parquet_io import write_table
from lake_schema import block_object, compacted_object, to_table

MTP_SPAN = 11


def _hex(block_hash: bytes) -> str:
    return block_hash[::-1].hex()


def object_name(table: str, day: dt.date, blocks: Sequence[ParsedBlock]) -> str:
    """One block's own name, or the name a compaction of those blocks' objects would get."""
    names = [block_object(table, day, b.height, _hex(b.block_hash)) for b in blocks]
    return names[0] if len(names) == 1 else compacted_object(table, day, names)


def binary32(hashes: np.ndarray) -> pa.Array:
    """A (N, 32) uint8 array as Arrow fixed-size binary, without a Python object per row."""
    data = np.ascontiguousarray(hashes, np.uint8)
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(32), len(data), [None, pa.py_buffer(data)]
    )


def median_times(blocks: Sequence[ParsedBlock], earlier_times: Sequence[int]) -> list[int | None]:
    """Median time past of each block, from the ``MTP_SPAN`` header times before it."""
    times = [*earlier_times, *(b.time for b in blocks)]
    skip = len(earlier_times)
    return [
        int(np.median(times[i - MTP_SPAN : i])) if i >= MTP_SPAN else None
        for i in range(skip, len(times))
    ]


def write_blocks(
    store: ObjectStore,
    manifest: Manifest,
    blocks: Sequence[ParsedBlock],
    rows: BlockRows,
    earlier_times: Sequence[int],
    ingested_at: dt.datetime,
) -> None:
    """Write the batch's rows (outputs, txids, then blocks) and list them in ``manifest``.

    Names are deterministic, so a re-run after a crash finds the objects it
    already wrote and keeps them; the manifest (saved by the caller) commits them.
    """
    days = [utc_date(b.time) for b in blocks]
    mtp = median_times(blocks, earlier_times)
    out_counts = np.bincount(rows.outputs.height - blocks[0].height, minlength=len(blocks)).tolist()
    for day in sorted(set(days)):
        members = [b for b, d in zip(blocks, days, strict=True) if d == day]
        heights = np.array([b.height for b in members], np.int32)
        out = rows.outputs
        out_keep = np.isin(out.height, heights)
        tx_keep = np.isin(rows.txids.height, heights)
        tables = {
            "outputs": {
                "height": out.height[out_keep],
                "tx_index": out.tx_index[out_keep],
                "vout": out.vout[out_keep],
                "value_sats": out.value_sats[out_keep],
                "time": out.time[out_keep],
                "funding_height": out.funding_height[out_keep],
            },
            "txids": {
                "height": rows.txids.height[tx_keep],
                "tx_index": rows.tx_index[tx_keep],
                "txid": binary32(rows.txids.txid[tx_keep]),
            },
            "blocks": {
                "height": heights,
                "hash": [_hex(b.block_hash) for b in members],
                "prev_hash": [_hex(b.prev_hash) for b in members],
                "time": [b.time for b in members],
                "median_time": [mtp[b.height - blocks[0].height] for b in members],
                "tx_count": [b.n_transactions for b in members],
                "size": [b.n_bytes for b in members],
                "n_outputs": [out_counts[b.height - blocks[0].height] for b in members],
                "ingested_at": [ingested_at] * len(members),
            },
        }
        for table, columns in tables.items():
            name = object_name(table, day, members)
            write_table(store, name, to_table(table, columns), create_only=True)
            manifest.add(table, name)
