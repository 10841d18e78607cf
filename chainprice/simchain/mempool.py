"""Unconfirmed transactions waiting after the tip: the mempool a simulated node serves.

They are drawn like a block's transactions (same kinds, same payment mix,
same filters to pass or fail) at the planted price of the tip's time, so a
mempool estimate sees the signal and the noise the chain has. Chain spends
among them spend other mempool transactions, as unconfirmed chains do, and
arrive after every transaction without an unconfirmed parent (so parents
always come first). They come from their own random stream, so asking for a
mempool never changes the chain's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainprice.simchain.chain import OutputPool, SimulatedChain, build_transactions
from chainprice.simchain.kinds import BlockContext
from chainprice.simchain.transactions import ordered_transactions

MEMPOOL_STREAM = 0x6D656D706F6F6C
"""Second seed word of the mempool's random stream (the chain uses the seed alone)."""
ARRIVAL_SECONDS = 600.0
"""The transactions arrive over the ten minutes after the tip's time."""


@dataclass(frozen=True, eq=False)
class SimulatedMempool:
    """Raw unconfirmed transactions, parents before children, and when each arrived."""

    txs: list[bytes]
    times: np.ndarray
    """Arrival times (int64), non-decreasing in ``txs`` order."""
    price: float
    """The planted USD price their payments were converted at."""


def generate_mempool(chain: SimulatedChain, count: int = 300) -> SimulatedMempool:
    """``count`` unconfirmed transactions after ``chain``'s tip; the same chain gives the same."""
    if count < 0:
        raise ValueError("a mempool cannot hold a negative number of transactions")
    spec = chain.spec
    rng = np.random.default_rng([spec.seed, MEMPOOL_STREAM])
    tip_time = int(chain.times[-1])
    price = float(chain.planted_price(tip_time))
    ctx = BlockContext(rng, spec, chain.tip + 1, price)
    first, second = build_transactions(ctx, OutputPool(), count, block=0)[0]
    order = np.concatenate([rng.permutation(len(first)), len(first) + rng.permutation(len(second))])
    txs = [bytes(tx) for tx in ordered_transactions([first, second], order)]
    arrivals = np.sort(rng.uniform(0.0, ARRIVAL_SECONDS, len(txs)))
    return SimulatedMempool(txs, tip_time + arrivals.astype(np.int64), price)
