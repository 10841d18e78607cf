"""The mempool series in the lake: each estimate's rows, its scatter, and the saved state.

One run writes a ``prices`` row (kind=mempool), a ``mempool_runs`` row (window
and counts), its plotted points (``mempool_points``, retired after a retention
time) and a new version of ``mempool_state``, from which the next stateless
run knows what it already fetched. The rows of a run never change, so they
are written under their own time-stamped names (a finished day's are merged
into one object, ``lake.day_merge``); the state is staged under a
name carrying its digest, and one commit swaps it in (concurrent runs each
commit theirs; the last commit's state is current).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from chainprice.adapters.storage import ObjectStore
from chainprice.core.mempool import MempoolResult
from chainprice.core.mempool_confidence import is_low_confidence, mempool_confidence
from chainprice.core.mempool_txs import MempoolTxs
from chainprice.lake.changes import create
from chainprice.lake.feed import write_feed
from chainprice.lake.manifest import Manifest, commit, load_manifest
from chainprice.lake.parquet_io import read_tables, stage, write_object
from chainprice.lake.price_records import Validity, exchange_fields
from chainprice.lake.reader import LakeBlocks, known_txids
from chainprice.lake_schema import mempool_price_object, parse_object, to_table
from chainprice.lake_schema.naming import (
    MEMPOOL_STATE_OBJECT,
    mempool_points_object,
    mempool_run_object,
)
from chainprice.lake_schema.tables import (
    MEMPOOL_POINTS,
    MEMPOOL_POINTS_RETENTION_DAYS,
    MEMPOOL_STATE,
)


@dataclass(frozen=True)
class MempoolRun:
    """What a run adds besides the price: how many transactions it fetched and lost."""

    n_fetched: int = 0
    n_gone: int = 0


def _utc(unix: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


def mempool_invalid_reason(result: MempoolResult, validity: Validity) -> str | None:
    if not validity.min_price <= result.price <= validity.max_price:
        return (
            f"price {result.price:,.0f} outside the valid range "
            f"{validity.min_price:,.0f}..{validity.max_price:,.0f}"
        )
    if is_low_confidence(result.counts.passing, result.dev_pct):
        confidence = mempool_confidence(result.counts.passing, result.dev_pct)
        return (
            f"low confidence {confidence:.2f}: {result.counts.passing} candidates, "
            f"spread {result.dev_pct:.3f}"
        )
    return None


def mempool_price_row(
    result: MempoolResult,
    validity: Validity,
    exchange_price: float | None,
    computed_at: dt.datetime,
) -> dict[str, Any]:
    """The ``prices`` row (kind=mempool): the window is the next block, ``n_blocks`` 0."""
    reason = mempool_invalid_reason(result, validity)
    return {
        "window_rule": "reference",
        "start_height": result.tip + 1,
        "end_height": result.tip + 1,
        "tip_height": result.tip,
        "rough_price": result.rough,
        "price": result.price,
        "canonical_price": None,
        "canonical_start_height": None,
        "canonical_end_height": None,
        "canonical_pending": False,
        "n_blocks": 0,
        "n_outputs": result.n_outputs,
        "n_price_points": result.n_price_points,
        "n_plotted": result.points.size,
        "dev_pct": result.dev_pct,
        "ax_range": result.ax_range,
        "confidence": mempool_confidence(result.counts.passing, result.dev_pct),
        "is_valid": reason is None,
        "invalid_reason": reason,
        **exchange_fields(result.price, exchange_price),
        "method_version": result.method_version,
        "computed_at": computed_at,
    }


def mempool_run_row(
    result: MempoolResult, run: MempoolRun, computed_at: dt.datetime
) -> dict[str, Any]:
    """The ``mempool_runs`` row: the window and the counts of each step."""
    return {
        "computed_at": computed_at,
        "tip_height": result.tip,
        "window_start": _utc(result.window_start),
        "window_end": _utc(result.window_end),
        "n_received": result.counts.received,
        "n_in_window": result.counts.in_window,
        "n_candidates": result.counts.passing,
        "n_fetched": run.n_fetched,
        "n_gone": run.n_gone,
    }


def points_table(result: MempoolResult, computed_at: dt.datetime) -> pa.Table:
    points = result.points
    return to_table(
        "mempool_points",
        {
            "computed_at": [computed_at] * points.size,
            "time": points.time.astype(np.int64),
            "price": points.price,
            "seq": np.arange(points.size, dtype=np.int32),
        },
    )


def state_table(txs: MempoolTxs, tip: int) -> pa.Table:
    """The saved state: one row per window transaction."""
    txid = pa.array([r.tobytes() for r in txs.txid], pa.binary(32))
    prev = pa.array([r.tobytes() for r in txs.prev_txid], pa.binary(32))
    return to_table(
        "mempool_state",
        {
            "txid": txid,
            "entry_time": txs.time,
            "n_inputs": txs.n_in,
            "n_outputs": txs.n_out,
            "flags": txs.flags.astype(np.int32),
            "value_0": txs.value[:, 0].astype(np.int64),
            "value_1": txs.value[:, 1].astype(np.int64),
            "has_parent": txs.has_parent,
            "prev_txids": pa.ListArray.from_arrays(pa.array(txs.in_start, pa.int32()), prev),
            "tip_height": np.full(txs.size, tip, np.int32),
        },
    )


def _rows_of_bytes(column: pa.Array) -> np.ndarray:
    raw = b"".join(column.to_pylist())
    return np.frombuffer(raw, np.uint8).reshape(-1, 32).copy()


def state_txs(table: pa.Table) -> MempoolTxs:
    """``MempoolTxs`` back from a ``mempool_state`` table."""
    prev = table.column("prev_txids").combine_chunks()
    return MempoolTxs(
        txid=_rows_of_bytes(table.column("txid").combine_chunks()),
        time=table.column("entry_time").to_numpy().astype(np.int64),
        n_in=table.column("n_inputs").to_numpy().astype(np.int32),
        n_out=table.column("n_outputs").to_numpy().astype(np.int32),
        flags=table.column("flags").to_numpy().astype(np.uint8),
        value=np.column_stack(
            [table.column(c).to_numpy().astype(np.uint64) for c in ("value_0", "value_1")]
        ).reshape(-1, 2),
        has_parent=table.column("has_parent").to_numpy(zero_copy_only=False).astype(bool),
        in_start=prev.offsets.to_numpy().astype(np.int64),
        prev_txid=_rows_of_bytes(prev.flatten()),
    )


def load_state(store: ObjectStore, manifest: Manifest) -> MempoolTxs | None:
    """The state the last run saved, or None for a lake without one."""
    names = manifest.names("mempool_state")
    if not names:
        return None
    return state_txs(read_tables(store, names, MEMPOOL_STATE.schema))


def _expired(manifest: Manifest, before: dt.datetime) -> set[str]:
    return {n for n in manifest.names("mempool_points") if parse_object(n).stamp < before}


def write_mempool_run(
    store: ObjectStore,
    result: MempoolResult | None,
    state: MempoolTxs,
    *,
    computed_at: dt.datetime,
    validity: Validity | None = None,
    exchange_price: float | None = None,
    run: MempoolRun | None = None,
    retention_days: int = MEMPOOL_POINTS_RETENTION_DAYS,
) -> list[str]:
    """Store one run (its rows unless ``result`` is None, e.g. an empty window) and the state.

    The objects are written first and committed last, so a run killed midway
    leaves at most unlisted objects. Scatter objects older than
    ``retention_days`` leave the manifest (and, after the grace period, the
    store). Returns the names written.
    """
    manifest = load_manifest(store)
    if manifest.version == 0:  # a new lake: created before any object is written
        manifest = commit(store, [create({})])
    tip = result.tip if result is not None else int(manifest.tip_height or 0)
    written: dict[str, list[Any]] = {}
    summary: dict[str, Any] | None = None
    if result is not None:
        price_row = mempool_price_row(result, validity or Validity(), exchange_price, computed_at)
        tables = (
            (mempool_price_object(computed_at), to_table("prices", [price_row])),
            (
                mempool_run_object(computed_at),
                to_table(
                    "mempool_runs", [mempool_run_row(result, run or MempoolRun(), computed_at)]
                ),
            ),
            (mempool_points_object(computed_at), points_table(result, computed_at)),
        )
        for name, data in tables:
            written[name] = write_object(store, name, data)
        summary = {
            "computed_at": computed_at.isoformat(),
            "price": result.price,
            "rough_price": result.rough,
            "confidence": price_row["confidence"],
            "is_valid": price_row["is_valid"],
            "invalid_reason": price_row["invalid_reason"],
            "n_candidates": result.counts.passing,
            "exchange_price": exchange_price,
            "diff_pct": price_row["diff_pct"],
            "diverges": price_row["diverges"],
            "tip_height": tip,
        }
    state_name, state_info = stage(store, MEMPOOL_STATE_OBJECT, state_table(state, tip))
    written[state_name] = state_info
    before = computed_at - dt.timedelta(days=retention_days)

    def apply(m: Manifest) -> None:
        m.retire(set(m.names("mempool_state")) - {state_name})
        m.retire(_expired(m, before))
        for name, info in written.items():
            m.add(name, info)
        newest = m.latest.get("mempool")
        if summary is not None and (
            newest is None or newest["computed_at"] <= computed_at.isoformat()
        ):
            m.latest["mempool"] = summary

    write_feed(store, commit(store, [apply]))
    return list(written)


def read_mempool_points(store: ObjectStore, manifest: Manifest) -> pa.Table:
    """Every kept scatter point, oldest run first."""
    return read_tables(store, manifest.names("mempool_points"), MEMPOOL_POINTS.schema)


def stored_block_txids(
    store: ObjectStore, manifest: Manifest, blocks: list[tuple[int, str]]
) -> dict[str, tuple[int, np.ndarray]]:
    """Header time and txids (internal byte order) of those ``(height, hash)`` blocks the lake
    holds, by hash: a stateless run then reads the window's confirmed parents from the
    ``txids`` table instead of fetching the blocks. A height whose lake hash differs (the node
    reorganised since the lake's last ingest) is left out, for the node to answer."""
    lake = LakeBlocks(store, manifest)
    if lake.empty:
        return {}
    first, tip = manifest.first_height, manifest.tip_height
    held = [(h, b) for h, b in blocks if first <= h <= tip and lake.block_hash(h) == b]
    if not held:
        return {}
    heights = [h for h, _ in held]
    known = known_txids(store, manifest, min(heights), max(heights))
    return {b: (lake.header_time(h), known.txid[known.height == h]) for h, b in held}
