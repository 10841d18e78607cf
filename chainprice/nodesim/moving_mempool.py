"""A mempool that moves: transactions arrive over wall-clock time, some are replaced or
evicted, and a miner confirms them in new blocks.

Arrivals are drawn like the chain's own transactions (same kinds, same
payment mix) at the planted price of the simulated time, which runs on from
the tip's time at wall-clock speed. Chain spends take their parents from
earlier arrivals, so unconfirmed chains form across batches. A replacement
(RBF) re-sends a childless entry with one output a little smaller (a higher
fee) and drops the original; above ``max_size`` the lowest-fee entries are
evicted with their descendants. ``mine_every`` seconds, a block confirms the
oldest entries (parents always precede children, so any prefix is valid) with
a correct header, merkle root, witness commitment and link to the tip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import chainprice.simchain.blocks as bk
from chainprice.core.sha256d import merkle_root
from chainprice.nodesim.headers import median_time_past
from chainprice.nodesim.served_chain import ServedChain
from chainprice.nodesim.transactions import decode_tx
from chainprice.simchain import SimulatedChain
from chainprice.simchain.chain import VERSION_BASE, OutputPool, build_transactions
from chainprice.simchain.kinds import BlockContext
from chainprice.simchain.scripts import compact_size
from chainprice.simchain.transactions import ordered_transactions

STREAM = 0x6D6F76696E67
"""Second seed word of the arrivals' random stream."""
TICK_SECONDS = 0.25
FEE_BUMP_SATS = 1_000


@dataclass(frozen=True)
class MempoolFlow:
    """How the mempool moves (all rates per wall-clock second)."""

    rate: float = 10.0
    """Arriving transactions per second."""
    replace_rate: float = 0.05
    """Replacements (RBF) per arriving transaction."""
    max_size: int = 300_000
    """Entries kept; the lowest-fee ones beyond it are evicted."""
    mine_every: float | None = None
    """Seconds between mined blocks (None: no mining)."""
    block_txs: int | None = None
    """Transactions per mined block (default: the spec's)."""
    seed: int = 0


def bumped(raw: bytes) -> bytes | None:
    """``raw`` with its last output ``FEE_BUMP_SATS`` smaller (None if that output is too small)."""
    tx, _ = decode_tx(raw)
    last = tx.outputs[-1]
    if last.value <= FEE_BUMP_SATS * 2:
        return None
    old = last.value.to_bytes(8, "little") + compact_size(len(last.script)) + last.script
    at = raw.rfind(old)
    new = (last.value - FEE_BUMP_SATS).to_bytes(8, "little")
    return raw[:at] + new + raw[at + 8 :]


class MovingMempool:
    """Drives a ``ServedChain``'s mempool and tip from a thread (or by ``advance`` in tests)."""

    def __init__(
        self,
        served: ServedChain,
        sim: SimulatedChain,
        flow: MempoolFlow,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.served = served
        self.sim = sim
        self.flow = flow
        self.clock = clock
        self.rng = np.random.default_rng([sim.spec.seed, STREAM, flow.seed])
        self.pool = OutputPool()
        self.base_time = max([served.times[-1], *(e.time for e in served.mempool)])
        self.started = clock()
        self.last_mined = self.started
        self.batches = 0
        self.arrived = 0
        self.replaced = 0
        self.evicted = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sim_time(self, now: float | None = None) -> int:
        """Simulated unix time: the tip's time plus the wall-clock seconds since the start."""
        return int(self.base_time + ((self.clock() if now is None else now) - self.started))

    def arrive(self, count: int, at: int) -> None:
        """``count`` new transactions at simulated time ``at``, at that time's planted price."""
        if count <= 0:
            return
        price = float(self.sim.planted_price(at))
        ctx = BlockContext(self.rng, self.sim.spec, self.served.tip + 1, price)
        batches, order = build_transactions(ctx, self.pool, count, self.batches)
        self.batches += 1
        txs = [bytes(tx) for tx in ordered_transactions(batches, order)]
        self.served.add_to_mempool((raw, at) for raw in txs)
        self.arrived += len(txs)

    def replace_some(self, count: int, at: int) -> None:
        """Replace ``count`` random childless entries by fee-bumped copies."""
        pool = self.served.mempool
        picked = self.rng.choice(len(pool), size=min(count, len(pool)), replace=False).tolist()
        old: list[str] = []
        new: list[tuple[bytes, int]] = []
        for k in picked:
            entry = pool[k]
            txid = entry.tx.txid.hex()
            raw = bumped(entry.tx.raw)
            if raw is not None and not self.served.mempool_children(txid):
                old.append(txid)
                new.append((raw, at))
        self.served.remove_from_mempool(old)
        self.served.add_to_mempool(new)
        self.replaced += len(new)

    def evict(self) -> None:
        """Drop the lowest-fee entries (with descendants) above ``max_size``."""
        pool = self.served.mempool
        excess = len(pool) - self.flow.max_size
        if excess > 0:
            by_fee = sorted(pool, key=lambda e: e.fee / e.tx.vsize)[:excess]
            self.evicted += len(self.served.remove_from_mempool(e.tx.txid.hex() for e in by_fee))

    def mine(self, at: int) -> int:
        """One block confirming the oldest entries; returns its height."""
        served = self.served
        height = served.tip + 1
        size = self.flow.block_txs or max(self.sim.spec.txs_per_block - 1, 0)
        chosen = served.mempool[:size]
        wtxids = np.frombuffer(b"".join(e.tx.wtxid[::-1] for e in chosen), np.uint8).reshape(-1, 32)
        fees = sum(e.fee for e in chosen)
        cb_raw, cb_txid = bk.coinbase(
            height,
            bk.subsidy(height) + fees,
            bk.witness_commitment(wtxids),
            extranonce=self.rng.bytes(8),
            payout=self.rng.bytes(20),
        )
        txids = np.frombuffer(
            cb_txid + b"".join(e.tx.txid[::-1] for e in chosen), np.uint8
        ).reshape(-1, 32)
        stamp = max(at, median_time_past(served.times, len(served.times) - 1) + 1)
        prev = bytes.fromhex(served.tip_hash)[::-1]
        header = bk.header(VERSION_BASE, prev, merkle_root(txids), stamp, height & 0xFFFFFFFF)
        raw = b"".join([header, compact_size(len(chosen) + 1), cb_raw, *(e.tx.raw for e in chosen)])
        return served.append_block(raw)

    def advance(self, now: float | None = None) -> None:
        """Everything due by wall-clock ``now``: arrivals since the last call, replacements,
        evictions, and a block when ``mine_every`` has passed."""
        now = self.clock() if now is None else now
        at = self.sim_time(now)
        count = int((now - self.started) * self.flow.rate) - self.arrived
        self.arrive(count, at)
        self.replace_some(int(self.rng.poisson(count * self.flow.replace_rate)), at)
        self.evict()
        every = self.flow.mine_every
        if every is not None and now - self.last_mined >= every:
            self.last_mined = now
            self.mine(at)

    def start(self) -> MovingMempool:
        self._thread = threading.Thread(target=self._run, name="moving-mempool", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self.advance()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
