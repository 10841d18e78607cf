"""``ingest``: read the blocks the lake lacks from the node, each once, and price what they settle.

Blocks arrive in batches (parsed as they download); each batch's objects
are written, then a commit merges them into the manifest. A run killed at
any moment leaves the lake at its last commit, and the next run redoes only
the uncommitted batch, adopting the objects it already wrote when they hold
the same rows. Several runs at once (overlapping schedules, a redelivered
event) commit the same blocks once: each commit merges into the manifest
current at that moment (``lake.changes``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from chainprice.adapters.storage import ObjectStore
from chainprice.core import ParsedBlock, parse_block
from chainprice.core.block_outputs import SPEND_LOOKBACK, KnownTxids, block_rows
from chainprice.core.errors import SourceError, WindowError
from chainprice.lake.block_writer import MTP_SPAN, write_blocks
from chainprice.lake.chain_check import MAX_REORG_DEPTH, judge, network_of
from chainprice.lake.changes import add_blocks, create, unwind
from chainprice.lake.compaction import compact_months
from chainprice.lake.day_merge import DAILY_ROWS, merge_finished_days
from chainprice.lake.exchange_fill import awaiting_exchange, fill_exchange
from chainprice.lake.feed import write_feed
from chainprice.lake.lookback import LookbackSource, floor_height, lookback
from chainprice.lake.manifest import Manifest, check_not_reset, commit, load_manifest
from chainprice.lake.price_jobs import ExchangeRates, price_days, price_recent
from chainprice.lake.price_records import Validity
from chainprice.lake.publication import DEFAULT_GRACE_SECONDS, finished_days, publication_ops, sweep
from chainprice.lake.reader import LakeBlocks, NodeTipHeaders
from chainprice.lake.segments import covering

BATCH_BLOCKS = 36
DEFAULT_HISTORY = 2 * 144 + SPEND_LOOKBACK
"""Blocks below the node's tip an empty lake starts from: two days to price, plus lookback."""


class NodeBlocks(LookbackSource, Protocol):
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
    lake_height: int | None = None
    """The lake's tip after the run."""
    reorg_depth: int = 0
    node_behind: bool = False
    days_priced: list[dt.date] = field(default_factory=list)
    recent_price: float | None = None
    exchange_filled: list[dt.date] = field(default_factory=list)
    """Days priced earlier without an exchange price whose comparison this run filled in."""
    objects_compacted: int = 0
    objects_deleted: int = 0
    seconds: float = 0.0
    commit_seconds: float = 0.0
    """Time spent in commits (read, merge, compare-and-swap, history)."""


@dataclass(frozen=True)
class LakeSettings:
    """How cautious writers are: the deepest reorg followed, how long deleted objects linger."""

    max_reorg_depth: int = MAX_REORG_DEPTH
    grace_seconds: float = DEFAULT_GRACE_SECONDS

    def __post_init__(self) -> None:
        if self.max_reorg_depth < 1:
            raise WindowError(
                f"the deepest reorg to follow must be 1 block or more, not {self.max_reorg_depth}"
            )
        if not self.grace_seconds >= 0:
            raise WindowError(
                f"the grace period must be 0 seconds or more, not {self.grace_seconds}"
            )


class Committer:
    """Commits, timing them for the report."""

    def __init__(self, store: ObjectStore, report: IngestReport) -> None:
        self.store, self.report = store, report

    def __call__(self, ops) -> Manifest:
        began = time.perf_counter()
        try:
            return commit(self.store, ops)
        finally:
            self.report.commit_seconds += time.perf_counter() - began


def _append(known: KnownTxids, more: KnownTxids, floor: int) -> KnownTxids:
    height = np.concatenate([known.height, more.height])
    keep = height >= floor
    return KnownTxids(height[keep], np.concatenate([known.txid, more.txid])[keep])


def _start(manifest: Manifest, node: NodeBlocks, node_tip: int, start_height: int | None) -> int:
    if manifest.tip_height is not None:
        return manifest.tip_height + 1
    if start_height is not None:
        if start_height < 0 or start_height > node_tip:
            raise WindowError(
                f"--start-height {start_height} is outside the node's chain 0..{node_tip}"
            )
        return start_height
    return max(floor_height(node), node_tip - DEFAULT_HISTORY)


def ingest_blocks(
    store: ObjectStore,
    manifest: Manifest,
    node: NodeBlocks,
    *,
    start_height: int | None = None,
    stop_height: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    report: IngestReport,
    settings: LakeSettings,
) -> Manifest:
    """Fetch and write every block from the lake's tip (or ``start_height``) to ``stop_height``."""
    committed = Committer(store, report)
    if stop_height is not None and stop_height < 0:
        raise WindowError(f"--stop-height {stop_height} is negative")
    verdict = judge(LakeBlocks(store, manifest), node, settings.max_reorg_depth)
    if verdict.behind:
        report.node_behind = True
        return manifest
    if verdict.fork is not None:
        lake = LakeBlocks(store, manifest)
        below = lake.block_hash(verdict.fork - 1) if verdict.fork > manifest.first_height else None
        report.reorg_depth = manifest.tip_height - verdict.fork + 1
        manifest = committed([unwind(verdict.fork, manifest.tip_hash, below)])
    stop = report.node_tip if stop_height is None else min(stop_height, report.node_tip)
    start = _start(manifest, node, report.node_tip, start_height)
    if start_height is not None and stop_height is not None and start_height > stop_height:
        raise WindowError(f"--start-height {start_height} is above --stop-height {stop_height}")
    if start > stop:
        return manifest
    if manifest.version == 0:
        manifest = committed([create(network_of(node))])
    report.first_height = start
    return write_heights(store, manifest, node, start, stop, committed, report, on_batch=on_batch)


def write_heights(
    store: ObjectStore,
    manifest: Manifest,
    node: NodeBlocks,
    start: int,
    stop: int,
    committed: Committer,
    report: IngestReport,
    *,
    anywhere: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> Manifest:
    """Blocks ``start..stop`` from the node, a batch at a time, each batch committed.

    ``anywhere``: the blocks may land below the top run, as an island (a backfill chunk).
    """
    known, times = lookback(store, manifest, node, start, floor_height(node))
    network = {**network_of(node), "first_hash": None}
    for a in range(start, stop + 1, BATCH_BLOCKS):
        b = min(a + BATCH_BLOCKS, stop + 1)
        parsed = list(node.iter_blocks(a, b, parse_block))
        prev = parsed[0].prev_hash[::-1].hex()
        below = covering(manifest, a - 1, a - 1) if a == start else None
        if below is not None and below.last == a - 1 and prev != below.last_hash:
            raise SourceError(
                f"block {a} from the node does not follow the lake's block {a - 1} "
                "(the node's chain changed during the run); run again"
            )
        if network["first_hash"] is None:
            network["first_hash"] = parsed[0].block_hash[::-1].hex()
        rows = block_rows(parsed, known)
        objects = write_blocks(store, parsed, rows, times, dt.datetime.now(dt.UTC))
        last_hash = parsed[-1].block_hash[::-1].hex()
        manifest = committed([add_blocks(a, prev, last_hash, objects, network, anywhere=anywhere)])
        known = _append(known, rows.txids, b - SPEND_LOOKBACK)
        times = [*times, *(p.time for p in parsed)][-MTP_SPAN:]
        report.blocks += len(parsed)
        report.last_height = b - 1
        if on_batch:
            on_batch(len(parsed))
    return manifest


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
    settings: LakeSettings | None = None,
) -> IngestReport:
    """New blocks into the lake, then the prices they settle, then publication of finished days."""
    began = time.perf_counter()
    settings = settings or LakeSettings()
    manifest = load_manifest(store)
    check_not_reset(store, manifest)
    report = IngestReport(node_tip=node.block_count())
    manifest = ingest_blocks(
        store,
        manifest,
        node,
        start_height=start_height,
        stop_height=stop_height,
        on_batch=on_batch,
        report=report,
        settings=settings,
    )
    if report.node_behind:
        report.lake_height = manifest.tip_height
        report.seconds = time.perf_counter() - began
        return report
    settle(
        store,
        manifest,
        node,
        report,
        validity=validity or Validity(),
        exchange=exchange,
        recent=recent,
        settings=settings,
    )
    report.seconds = time.perf_counter() - began
    return report


def settle(
    store: ObjectStore,
    manifest: Manifest,
    node: NodeBlocks,
    report: IngestReport,
    *,
    validity: Validity,
    exchange: ExchangeRates | None,
    recent: bool,
    settings: LakeSettings,
) -> Manifest:
    """After new blocks: the prices they settle, publication of finished days, clean-up, feed."""
    committed = Committer(store, report)
    now = dt.datetime.now(dt.UTC)
    lake = LakeBlocks(store, manifest)
    headers = NodeTipHeaders(lake, node) if hasattr(node, "header_time") else None
    report.days_priced, ops = price_days(
        store,
        manifest,
        validity=validity,
        exchange=exchange,
        computed_at=now,
        lake=lake,
        headers=headers,
    )
    if recent:
        result, recent_ops = price_recent(
            store, manifest, validity=validity, exchange=exchange, computed_at=now, lake=lake
        )
        ops += recent_ops
        report.recent_price = result.price if result else None
    if exchange is not None:
        report.exchange_filled, fill_ops = fill_exchange(store, manifest, exchange)
        ops += fill_ops
    if ops:
        manifest = committed(ops)
    lake = LakeBlocks(store, manifest)
    finished = finished_days(lake, settings.max_reorg_depth)
    if exchange is not None:
        finished -= awaiting_exchange(manifest, now)
    publishing, report.objects_compacted = publication_ops(store, manifest, finished)
    for rows in DAILY_ROWS:
        publishing += merge_finished_days(store, manifest, now.date(), rows)
    if publishing:
        manifest = committed(publishing)
    manifest = compact_months(store, manifest, committed, report)
    report.objects_deleted, manifest = sweep(store, manifest, settings.grace_seconds)
    write_feed(store, manifest)
    report.lake_height = manifest.tip_height
    return manifest
