"""``ingest``: read the blocks the lake lacks from the node, each once, and price what they settle.

Blocks arrive in batches (parsed as they download); each batch's objects
are written, then the manifest commits them. A run killed at any moment
leaves the lake at its last commit, and the next run redoes only the
uncommitted batch, finding any objects it already wrote under the same
deterministic names.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from adapters.storage import ObjectStore
from core import ParsedBlock, parse_block
from core.block_outputs import SPEND_LOOKBACK, KnownTxids, block_rows
from core.errors import SourceError
from lake.block_writer import MTP_SPAN, write_blocks
from lake.compaction import compact, finished_days, sweep
from lake.feed import write_feed
from lake.manifest import Manifest, load_manifest, save_manifest
from lake.price_jobs import ExchangeRates, price_days, price_recent
from lake.price_records import Validity
from lake.reader import LakeBlocks, known_txids
from lake.reorg import fork_height, unwind

BATCH_BLOCKS = 36
DEFAULT_HISTORY = 2 * 144 + SPEND_LOOKBACK
"""Blocks below the node's tip an empty lake starts from: two days to price, plus lookback."""


class NodeBlocks(Protocol):
    def block_count(self) -> int: ...
    def block_hash(self, height: int) -> str: ...
    def iter_blocks(
        self, start: int, end: int, verify: Callable[[int, bytes], ParsedBlock]
    ) -> Iterator[ParsedBlock]: ...


@dataclass
class IngestReport:
    node_tip: int
    first_height: int | None = None
    last_height: int | None = None
    blocks: int = 0
    reorg_depth: int = 0
    days_priced: list[dt.date] = field(default_factory=list)
    recent_price: float | None = None
    objects_compacted: int = 0
    seconds: float = 0.0


def _append(known: KnownTxids, more: KnownTxids, floor: int) -> KnownTxids:
    height = np.concatenate([known.height, more.height])
    keep = height >= floor
    return KnownTxids(height[keep], np.concatenate([known.txid, more.txid])[keep])


def _start(manifest: Manifest, node_tip: int, start_height: int | None) -> int:
    if manifest.tip_height is not None:
        return manifest.tip_height + 1
    return max(0, node_tip - DEFAULT_HISTORY) if start_height is None else start_height


def ingest_blocks(
    store: ObjectStore,
    manifest: Manifest,
    node: NodeBlocks,
    *,
    start_height: int | None = None,
    stop_height: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    report: IngestReport,
) -> None:
    """Fetch and write every block from the lake's tip (or ``start_height``) to ``stop_height``."""
    lake = LakeBlocks(store, manifest)
    fork = fork_height(lake, node)
    if fork is not None:
        report.reorg_depth = unwind(store, manifest, lake, fork)
        save_manifest(store, manifest)
        lake = LakeBlocks(store, manifest)
    stop = report.node_tip if stop_height is None else min(stop_height, report.node_tip)
    start = _start(manifest, report.node_tip, start_height)
    if start > stop:
        return
    if manifest.first_height is None:
        manifest.first_height = start
    floor = max(manifest.first_height, start - SPEND_LOOKBACK)
    known = known_txids(store, manifest, floor, start - 1)
    times = lake.times(max(manifest.first_height, start - MTP_SPAN), start - 1)
    report.first_height = start
    for a in range(start, stop + 1, BATCH_BLOCKS):
        b = min(a + BATCH_BLOCKS, stop + 1)
        parsed = list(node.iter_blocks(a, b, parse_block))
        if manifest.tip_hash is not None and parsed[0].prev_hash[::-1].hex() != manifest.tip_hash:
            raise SourceError(
                f"block {a} from the node does not follow the lake's block {a - 1} "
                "(the node's chain changed during the run); run ingest again"
            )
        rows = block_rows(parsed, known)
        write_blocks(store, manifest, parsed, rows, times, dt.datetime.now(dt.UTC))
        manifest.tip_height = b - 1
        manifest.tip_hash = parsed[-1].block_hash[::-1].hex()
        save_manifest(store, manifest)
        known = _append(known, rows.txids, b - SPEND_LOOKBACK)
        times = [*times, *(p.time for p in parsed)][-MTP_SPAN:]
        report.blocks += len(parsed)
        report.last_height = b - 1
        if on_batch:
            on_batch(len(parsed))


def tip_median_time(lake: LakeBlocks) -> int | None:
    tip, first = lake.manifest.tip_height, lake.manifest.first_height
    if tip is None or first is None or tip - first + 1 < MTP_SPAN:
        return None
    return int(np.median(lake.times(tip - MTP_SPAN + 1, tip)))


def ingest(
    store: ObjectStore,
    node: NodeBlocks,
    *,
    start_height: int | None = None,
    stop_height: int | None = None,
    validity: Validity | None = None,
    exchange: ExchangeRates | None = None,
    on_batch: Callable[[int], None] | None = None,
    recent: bool = True,
) -> IngestReport:
    """New blocks into the lake, then the prices they settle, then compaction of finished days."""
    began = time.perf_counter()
    manifest = load_manifest(store)
    report = IngestReport(node_tip=node.block_count())
    ingest_blocks(
        store,
        manifest,
        node,
        start_height=start_height,
        stop_height=stop_height,
        on_batch=on_batch,
        report=report,
    )
    now = dt.datetime.now(dt.UTC)
    validity = validity or Validity()
    lake = LakeBlocks(store, manifest)  # the block objects stay as they are until compaction
    report.days_priced = price_days(
        store, manifest, validity=validity, exchange=exchange, computed_at=now, lake=lake
    )
    if recent:
        result = price_recent(
            store, manifest, validity=validity, exchange=exchange, computed_at=now, lake=lake
        )
        report.recent_price = result.price if result else None
    save_manifest(store, manifest)
    finished = finished_days(manifest, tip_median_time(lake))
    report.objects_compacted = compact(store, manifest, finished)
    sweep(store, manifest)
    write_feed(store, manifest)
    report.seconds = time.perf_counter() - began
    return report
