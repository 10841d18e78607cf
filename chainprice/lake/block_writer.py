"""A batch of parsed blocks into the lake's per-block tables: staged objects, one per block.

Per-block objects live under ``staging/`` until their day is finished and
published (``lake.publication``), so globs of the table folders only ever see
whole, final days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from chainprice.adapters.storage import ObjectStore
from chainprice.core import ParsedBlock
from chainprice.core.block_outputs import BlockRows
from chainprice.core.windows import utc_date
from chainprice.lake.parquet_io import write_object
from chainprice.lake_schema import block_object, staged, to_table

MTP_SPAN = 11


def _hex(block_hash: bytes) -> str:
    return block_hash[::-1].hex()


def staged_block_name(table: str, block: ParsedBlock) -> str:
    return staged(block_object(table, utc_date(block.time), block.height, _hex(block.block_hash)))


def binary32(hashes: np.ndarray) -> pa.Array:
    """A (N, 32) uint8 array as Arrow fixed-size binary, without a Python object per row."""
    data = np.ascontiguousarray(hashes, np.uint8)
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(32), len(data), [None, pa.py_buffer(data)]
    )


def _rows_of(height: np.ndarray, block_height: int) -> slice:
    """The rows of one block in height-ordered rows."""
    lo, hi = np.searchsorted(height, [block_height, block_height + 1])
    return slice(int(lo), int(hi))


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
    blocks: Sequence[ParsedBlock],
    rows: BlockRows,
    earlier_times: Sequence[int],
    ingested_at: dt.datetime,
) -> dict[str, list]:
    """Write the batch's rows (outputs, txids, then blocks), one staged object per block and
    table; returns each object's name and ``[size, sha256]`` for the commit.

    Names are deterministic, so a re-run after a crash finds the objects it
    already wrote; they are kept only if they hold the same rows.
    """
    mtp = median_times(blocks, earlier_times)
    out_counts = np.bincount(rows.outputs.height - blocks[0].height, minlength=len(blocks)).tolist()
    written: dict[str, list] = {}
    for member in blocks:
        members = [member]
        heights = np.array([member.height], np.int32)
        out = rows.outputs
        out_keep = _rows_of(out.height, member.height)
        tx_keep = _rows_of(rows.txids.height, member.height)
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
            name = staged_block_name(table, member)
            written[name] = write_object(store, name, to_table(table, columns))
    return written
