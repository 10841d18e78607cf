"""The ``mempool`` job: one estimate of the unconfirmed price, stored in the lake with its run.

A warm function instance (and ``chainprice mempool --watch``) keeps its
tracker between runs, so a refresh fetches only the transactions that
entered since; a cold one starts from the state the lake saved.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from chainprice.core.errors import ChainPriceError
from chainprice.jobs.logs import JobLog
from chainprice.jobs.runner import RunFacts, run_job
from chainprice.jobs.settings import SettingsError
from chainprice.jobs.wiring import Wiring

if TYPE_CHECKING:
    import numpy as np

    from chainprice.adapters.node.mempool_tracker import MempoolSnapshot, MempoolTracker
    from chainprice.core.mempool import MempoolResult

_WARM: dict[tuple[str, str | None], MempoolTracker] = {}
"""Trackers of this process by (node URL, lake URL): what a warm instance already fetched."""


def mempool_tracker(wiring: Wiring, *, keep_warm: bool = False) -> MempoolTracker:
    """A tracker for the node, starting from the lake's saved state when there is a lake."""
    from chainprice.adapters.node import open_source
    from chainprice.adapters.node.mempool_tracker import MempoolTracker

    node = wiring.settings.node
    if node is None:
        raise SettingsError("CHAINPRICE_NODE_URL is not set: the mempool job reads a node")
    key = (node.url, wiring.settings.lake_url)
    if keep_warm and key in _WARM:
        return _WARM[key]
    state = stored = None
    if wiring.has_lake:
        from chainprice.lake.manifest import load_manifest
        from chainprice.lake.mempool_series import load_state, stored_block_txids

        store = wiring.store
        state = load_state(store, load_manifest(store))

        def stored(blocks: list[tuple[int, str]]) -> dict[str, tuple[int, np.ndarray]]:
            """The recent blocks the lake holds (its manifest read again: ingests go on)."""
            return stored_block_txids(store, load_manifest(store), blocks)

    tracker = MempoolTracker(
        open_source(node.url, node.source, config=node.config),
        round(wiring.settings.mempool_window_hours * 3600),
        state=state,
        workers=node.config.workers,
        stored_blocks=stored,
    )
    if keep_warm:
        _WARM[key] = tracker
    return tracker


def _price(tracker: MempoolTracker, snap: MempoolSnapshot) -> MempoolResult:
    from chainprice.core.mempool import mempool_price

    return mempool_price(
        snap.txs,
        snap.mempool_txids,
        snap.confirmed,
        snap.tip,
        tracker.window_seconds,
        n_received=snap.n_received,
    )


def _exchange_price(wiring: Wiring, log: JobLog) -> float | None:
    exchange = wiring.exchange
    if exchange is None:
        return None
    try:
        return exchange.api.latest().usd
    except ChainPriceError as exc:
        log.warning(f"no current exchange price: {exc}")
        return None


def _store(
    wiring: Wiring, snap: MempoolSnapshot, result: MempoolResult | None, log: JobLog
) -> dict[str, Any] | None:
    """Store the run when there is a lake; the run's fields (prices and mempool_runs rows)."""
    from chainprice.lake.mempool_series import MempoolRun, mempool_price_row, mempool_run_row

    computed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run = MempoolRun(n_fetched=snap.n_fetched, n_gone=snap.n_gone)
    exchange = _exchange_price(wiring, log) if result is not None else None
    if wiring.has_lake:
        from chainprice.lake.mempool_series import write_mempool_run

        write_mempool_run(
            wiring.store,
            result,
            snap.txs,
            computed_at=computed_at,
            validity=wiring.validity,
            exchange_price=exchange,
            run=run,
            retention_days=wiring.settings.mempool_points_retention_days,
        )
    if result is None:
        return None
    fields = {"kind": "mempool", "unconfirmed": True}
    fields |= mempool_price_row(result, wiring.validity, exchange, computed_at)
    fields |= mempool_run_row(result, run, computed_at)
    return fields


def mempool_job(
    wiring: Wiring,
    *,
    tracker: MempoolTracker | None = None,
    run_id: str | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """One estimate; the fetched state is kept in the lake even when no price comes of it."""

    def work(facts: RunFacts, log: JobLog) -> dict[str, Any]:
        nonlocal tracker
        tracker = tracker or mempool_tracker(wiring, keep_warm=True)
        snap = tracker.refresh()
        facts.tip_height = snap.tip
        try:
            result = _price(tracker, snap)
        except ChainPriceError:
            _store(wiring, snap, None, log)  # the next run starts from what was fetched
            raise
        fields = _store(wiring, snap, result, log)
        log.info(
            "mempool priced (unconfirmed)",
            price=fields["price"],
            confidence=fields["confidence"],
            is_valid=fields["is_valid"],
            candidates=fields["n_candidates"],
            in_window=fields["n_in_window"],
            fetched=fields["n_fetched"],
            tip_height=snap.tip,
        )
        return fields

    return run_job("mempool", wiring, work, run_id=run_id, quiet=quiet)
