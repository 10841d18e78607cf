"""What the simulated node serves: a chain whose price the engine recovers, and a priced mempool."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from plain_reader import read_block, read_tx

from chainprice.adapters.memory_chain import MemoryChain
from chainprice.core import price_day
from chainprice.core.errors import SourceError
from chainprice.nodesim import ServedChain
from chainprice.simchain import SimulatedChain, compact_day, generate_chain, generate_mempool
from chainprice.simchain.amounts import USD_AMOUNTS


@pytest.fixture(scope="module")
def simulated() -> SimulatedChain:
    return generate_chain(compact_day())


@pytest.mark.parametrize("price", [20_000, 60_000, 150_000, 500_000])
def test_engine_recovers_the_planted_price_within_one_percent(price: float):
    spec = replace(compact_day(), price_usd=float(price))
    chain = generate_chain(spec)
    source = MemoryChain(dict(zip(chain.heights.tolist(), chain.blocks, strict=True)))
    result = price_day(source, source.fetch, spec.start_date)
    planted = chain.planted_mean(spec.start_date)
    assert abs(result.price / planted - 1) < 0.01, (result.price, planted)


def test_mempool_is_deterministic_and_follows_the_tip(simulated: SimulatedChain):
    pool = generate_mempool(simulated, 250)
    again = generate_mempool(simulated, 250)
    assert pool.txs == again.txs and len(pool.txs) == 250
    assert pool.price == simulated.planted_price(int(simulated.times[-1]))
    assert pool.times[0] >= simulated.times[-1]
    assert np.all(np.diff(pool.times) >= 0)
    assert generate_mempool(simulated, 0).txs == []
    with pytest.raises(ValueError, match="negative"):
        generate_mempool(simulated, -1)


def test_mempool_spends_come_after_their_unconfirmed_parents(simulated: SimulatedChain):
    txs = [read_tx(raw) for raw in generate_mempool(simulated, 300).txs]
    confirmed = {tx.txid for raw in simulated.blocks for tx in read_block(raw).txs}
    position = {tx.txid: i for i, tx in enumerate(txs)}
    children = 0
    for i, tx in enumerate(txs):
        assert tx.txid not in confirmed
        for prev, _ in tx.prevouts:
            if prev in position:
                assert position[prev] < i
                children += 1
    assert children > 5


def test_mempool_payments_carry_the_tip_price(simulated: SimulatedChain):
    pool = generate_mempool(simulated, 600)
    hits = total = 0
    for raw in pool.txs:
        tx = read_tx(raw)
        if len(tx.values) != 2 or len(tx.prevouts) > 5:
            continue
        total += 1
        usd = np.array(tx.values) / 1e8 * pool.price
        hits += bool((np.abs(usd[:, None] / USD_AMOUNTS[None, :] - 1.0) < 0.01).any())
    assert total > 300
    assert 0.15 < hits / total < 0.6


def test_served_block_stats_match_an_independent_reader(simulated: SimulatedChain):
    served = ServedChain.from_simulated(simulated, mempool_size=10)
    for height in (served.start_height, served.start_height + 77, served.tip):
        block = read_block(served.raw(height))
        stats = served.stats(height)
        assert stats.txids == [tx.txid[::-1].hex() for tx in block.txs]
        assert stats.size == len(served.raw(height))
        assert served.n_tx(height) == len(block.txs)
        for i in (0, len(block.txs) // 2, len(block.txs) - 1):
            start, end = stats.tx_bounds[i]
            assert read_tx(served.raw(height)[start:end]).txid == block.txs[i].txid
    assert len(served.mempool) == 10
    assert served.hashes == simulated.hashes


def test_served_chain_refuses_blocks_that_do_not_link(simulated: SimulatedChain):
    blocks = [simulated.blocks[0], simulated.blocks[2]]
    with pytest.raises(SourceError, match="does not link"):
        ServedChain(
            simulated.start_height, blocks, [], ServedChain.from_simulated(simulated, 0).prices
        )
