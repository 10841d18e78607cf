"""Follows a node's mempool from refresh to refresh, fetching each transaction once.

A refresh lists the mempool, forgets transactions that left it (mined,
replaced, evicted) or fell out of the window, and fetches only the new ones
that entered within the window. It also keeps the txids of the recent blocks
stamped within the window (fetched once per block hash, or read from the
lake when it holds them), which the same-window rule needs. The facts it
keeps are ``core.mempool_txs.MempoolTxs``, so a stateless run can start from
the lake's saved state instead of empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from chainprice.adapters.node.errors import BadResponseError
from chainprice.adapters.node.headers import header_hash
from chainprice.adapters.node.mempool_listing import MempoolEntry, txid_rows
from chainprice.adapters.node.parallel import map_parallel
from chainprice.core.block_parser import parse_block
from chainprice.core.mempool import DEFAULT_WINDOW_SECONDS, ConfirmedTxids
from chainprice.core.mempool_txs import MempoolTxs, concat_txs, empty_txs, parse_transactions

StoredBlocks = Callable[[list[tuple[int, str]]], dict[str, tuple[int, np.ndarray]]]
"""Given recent blocks' (height, hash), the (time, txids) of those already stored elsewhere
(the lake's ``txids`` table), by hash; the others are fetched from the node."""

TIME_MARGIN = 7200
"""Block times may run up to two hours behind their predecessors': walk back that much more."""
HEADER_STEP = 24


class MempoolSource(Protocol):
    """What the tracker needs from a node client (every client in ``adapters.node`` has it)."""

    def mempool_entries(self, known: Collection[str] = ()) -> list[MempoolEntry]: ...

    def raw_transactions(self, txids: Sequence[str]) -> list[bytes | None]: ...

    def tip_height(self) -> int: ...

    def headers(self, start: int, count: int) -> list[bytes]: ...

    def raw_block(self, block_hash: str) -> bytes | bytearray: ...


@dataclass(frozen=True)
class MempoolSnapshot:
    """What one refresh saw: the inputs of ``core.mempool.mempool_price`` and what it cost."""

    txs: MempoolTxs
    """The window's transactions still in the mempool."""
    mempool_txids: np.ndarray
    """uint8 (M, 32): every txid the node listed, window or not."""
    confirmed: ConfirmedTxids
    tip: int
    n_received: int
    n_fetched: int
    """Transactions fetched by this refresh (the new ones)."""
    n_gone: int
    """Transactions of the previous window no longer in the mempool."""


class MempoolTracker:
    """The window's transactions of one node, kept between refreshes."""

    def __init__(
        self,
        source: MempoolSource,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
        *,
        state: MempoolTxs | None = None,
        clock: Callable[[], float] = time.time,
        workers: int = 4,
        stored_blocks: StoredBlocks | None = None,
    ) -> None:
        self.source = source
        self.window_seconds = window_seconds
        self.txs = state if state is not None else empty_txs()
        self.clock = clock
        self.workers = workers
        self.stored_blocks = stored_blocks
        self._index = {t: i for i, t in enumerate(self.txs.txids_hex())}
        self._outside: set[str] = set()
        self._blocks: dict[str, tuple[int, np.ndarray]] = {}

    def refresh(self) -> MempoolSnapshot:
        """List the mempool, drop what left, fetch what is new within the window."""
        entries = self.source.mempool_entries(known=self._index.keys() | self._outside)
        now = int(self.clock())
        listed = {e.txid for e in entries}
        times = [self._time_of(e, now) for e in entries]
        newest = max((t for t in times if t is not None), default=None)
        cutoff = (newest - self.window_seconds) if newest is not None else now
        self._outside = {
            e.txid for e, t in zip(entries, times, strict=True) if t is not None and t < cutoff
        } | (self._outside & listed)
        keep = np.array([t in listed for t in self._index], bool) & (self.txs.time >= cutoff)
        n_gone = int((~keep).sum())
        new = [
            (e, t)
            for e, t in zip(entries, times, strict=True)
            if e.txid not in self._index and e.txid not in self._outside
        ]
        fresh = self._fetch(new)
        self.txs = concat_txs([self.txs.select(keep), fresh])
        self._index = {t: i for i, t in enumerate(self.txs.txids_hex())}
        tip = self.source.tip_height()
        return MempoolSnapshot(
            txs=self.txs,
            mempool_txids=txid_rows(sorted(listed)),
            confirmed=self._confirmed(tip, cutoff),
            tip=tip,
            n_received=len(entries),
            n_fetched=fresh.size,
            n_gone=n_gone,
        )

    def _time_of(self, entry: MempoolEntry, now: int) -> int | None:
        """Entry time: the node's, else the kept one, else now (first seen); None if outside."""
        if entry.time is not None:
            return entry.time
        at = self._index.get(entry.txid)
        if at is not None:
            return int(self.txs.time[at])
        return None if entry.txid in self._outside else now

    def _fetch(self, new: list[tuple[MempoolEntry, int | None]]) -> MempoolTxs:
        wanted = [(e, t) for e, t in new if t is not None]
        raws = self.source.raw_transactions([e.txid for e, _ in wanted])
        present = [(e, t, raw) for (e, t), raw in zip(wanted, raws, strict=True) if raw]
        return parse_transactions(
            [raw for _, _, raw in present],
            [t for _, t, _ in present],
            txids=[e.txid for e, _, _ in present],
            has_parent=[e.has_parent for e, _, _ in present],
        )

    def _confirmed(self, tip: int, cutoff: int) -> ConfirmedTxids:
        """Txids of the blocks stamped at or after ``cutoff`` (each block fetched once)."""
        recent: list[tuple[int, str]] = []
        top = tip
        while top >= 0:
            start = max(0, top - HEADER_STEP + 1)
            headers = self.source.headers(start, top - start + 1)
            times = [int.from_bytes(h[68:72], "little") for h in headers]
            recent += [
                (start + i, header_hash(h))
                for i, (h, t) in enumerate(zip(headers, times, strict=True))
                if t >= cutoff
            ]
            if min(times) < cutoff - TIME_MARGIN or start == 0:
                break
            top = start - 1
        missing = [(h, b) for h, b in recent if b not in self._blocks]
        if missing and self.stored_blocks is not None:
            self._blocks |= self.stored_blocks(missing)
            missing = [(h, b) for h, b in missing if b not in self._blocks]
        for (height, block_hash), raw in zip(
            missing,
            map_parallel(lambda hb: self.source.raw_block(hb[1]), missing, self.workers),
            strict=True,
        ):
            block = parse_block(height, raw)
            if header_hash(block.header) != block_hash:
                raise BadResponseError(f"the node's block {height} does not hash to {block_hash}")
            self._blocks[block_hash] = (block.time, block.txid)
        wanted = {b for _, b in recent}
        self._blocks = {b: v for b, v in self._blocks.items() if b in wanted}
        parts = list(self._blocks.values())
        if not parts:
            return ConfirmedTxids(np.empty((0, 32), np.uint8), np.empty(0, np.int64))
        return ConfirmedTxids(
            np.concatenate([txid for _, txid in parts]),
            np.concatenate([np.full(txid.shape[0], t, np.int64) for t, txid in parts]),
        )
