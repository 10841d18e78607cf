"""The simulated chain obeys Bitcoin's block and transaction rules, and carries its price.

Blocks are checked with a small independent byte walk (tests/plain_reader.py,
hashlib only), so a bug shared by the generator and the project's parser cannot
hide here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from dataclasses import replace

import numpy as np
import pytest
from plain_reader import Block, Tx, merkle, read_block, sha256d

from chainprice.simchain import (
    ChainSpec,
    PaymentMix,
    SimulatedChain,
    TxMix,
    compact_day,
    full_size_day,
    generate_chain,
)
from chainprice.simchain.amounts import USD_AMOUNTS

NULL_TXID = bytes(32)
COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")


def is_coinbase(tx: Tx) -> bool:
    return any(txid == NULL_TXID and vout == 0xFFFFFFFF for txid, vout in tx.prevouts)


def bip34(height: int) -> bytes:
    num = height.to_bytes((height.bit_length() + 8) // 8, "little")
    return bytes([len(num)]) + num


def walk(chain: SimulatedChain) -> list[Block]:
    return [read_block(raw) for raw in chain.blocks]


def kinds_of(blocks: list[Block]) -> set[str]:
    """Every category a transaction of the chain falls in (a transaction may be in several)."""
    found: set[str] = set()
    seen: dict[bytes, int] = {}
    for b, block in enumerate(blocks):
        if len(block.txs) == 1:
            found.add("empty block")
        for tx in block.txs[1:]:
            n_in, n_out = len(tx.prevouts), len(tx.values)
            found.add("segwit" if tx.segwit else "legacy serialization")
            if not tx.segwit and n_in <= 2 and n_out == 2:
                found.add("legacy p2pkh payment")
            if tx.segwit and n_in == 1 and n_out == 2 and tx.scripts[1][:2] == b"\x00\x14":
                found.add("p2wpkh payment")
            if 2 <= n_in <= 5 and n_out == 2:
                found.add("2-5 inputs")
            if n_in > 5:
                found.add("consolidation")
            if n_out > 2 and not any(s[:1] == b"\x6a" for s in tx.scripts):
                found.add("batch")
            if n_out > 252:
                found.add("over 252 outputs")
            if n_out == 1:
                found.add("one output")
            if any(s[:1] == b"\x6a" for s in tx.scripts):
                found.add("op_return")
            totals = [sum(len(item) for item in stack) for stack in tx.witness]
            for stack, total in zip(tx.witness, totals, strict=True):
                if any(len(item) > 500 for item in stack):
                    found.add("witness item over 500")
                if total in (500, 501):
                    found.add(f"witness total {total}")
            if totals[:2] == [300, 300]:
                found.add("witness split over inputs")
            for prev, _ in tx.prevouts:
                if prev in seen:
                    found.add("same-block spend" if seen[prev] == b else "earlier-block spend")
            seen[tx.txid] = b
            for value in tx.values:
                if value in (999, 1000, 1001, 100_000 * 10**8, 9_999, 10_001, 99_990, 100_010):
                    found.add(f"edge {value}")
    return found


ALL_KINDS = {
    "empty block",
    "segwit",
    "legacy serialization",
    "legacy p2pkh payment",
    "p2wpkh payment",
    "2-5 inputs",
    "consolidation",
    "batch",
    "over 252 outputs",
    "one output",
    "op_return",
    "witness item over 500",
    "witness total 500",
    "witness total 501",
    "witness split over inputs",
    "same-block spend",
    "earlier-block spend",
}


def small_spec(seed: int = 5) -> ChainSpec:
    """About a dozen blocks of ~200 transactions, rare features made common."""
    return ChainSpec(
        start_date=dt.date(2024, 9, 1),
        txs_per_block=200,
        price_usd=58_000.0,
        drift=0.02,
        seed=seed,
        start_height=860_000,
        lead_hours=0.0,
        tail_hours=0.0,
        block_interval=7_200.0,
        nonmono_rate=0.25,
        empty_block_rate=0.15,
        mix=TxMix(batch=0.05, inscription=0.12, consolidation=0.04),
        payments=PaymentMix(edge=0.08),
    )


@pytest.fixture(scope="module")
def small() -> SimulatedChain:
    return generate_chain(small_spec())


@pytest.fixture(scope="module")
def small_blocks(small: SimulatedChain) -> list[Block]:
    return walk(small)


def test_same_seed_same_bytes_and_another_seed_differs(small: SimulatedChain) -> None:
    again = generate_chain(small_spec())
    assert again.blocks == small.blocks
    assert again.hashes == small.hashes
    assert np.array_equal(again.times, small.times)
    other = generate_chain(small_spec(seed=6))
    assert other.blocks[0] != small.blocks[0]
    assert other.hashes != small.hashes


def test_chain_metadata_matches_the_blocks(
    small: SimulatedChain, small_blocks: list[Block]
) -> None:
    assert small.start_height == 860_000
    assert small.tip == small.start_height + len(small.blocks) - 1
    assert small.heights.tolist() == list(range(small.start_height, small.tip + 1))
    assert small.times.dtype == np.int64
    assert small.times.tolist() == [b.time for b in small_blocks]
    assert small.hashes == [sha256d(b.header)[::-1].hex() for b in small_blocks]
    assert small.block(small.tip) == small.blocks[-1]
    assert small.total_bytes == sum(map(len, small.blocks))
    assert len(small.blocks) >= 8


def test_headers_link_and_merkle_roots_hold(small_blocks: list[Block]) -> None:
    hashes = [sha256d(b.header) for b in small_blocks]
    assert small_blocks[0].prev not in hashes
    for prev_hash, block in zip(hashes, small_blocks[1:], strict=False):
        assert block.prev == prev_hash
    for block in small_blocks:
        assert block.merkle_root == merkle([tx.txid for tx in block.txs])
        assert block.header[72:76] != bytes(4)  # nBits set


def test_coinbase_height_and_witness_commitment(
    small: SimulatedChain, small_blocks: list[Block]
) -> None:
    for height, block in zip(small.heights.tolist(), small_blocks, strict=True):
        cb = block.txs[0]
        assert is_coinbase(cb)
        assert cb.prevouts == [(NULL_TXID, 0xFFFFFFFF)]
        assert not any(is_coinbase(tx) for tx in block.txs[1:])
        assert cb.script_sigs[0].startswith(bip34(height))
        assert 2 <= len(cb.script_sigs[0]) <= 100
        assert cb.witness == [[bytes(32)]]
        wtxids = [bytes(32)] + [tx.wtxid for tx in block.txs[1:]]
        expected = COMMITMENT_PREFIX + sha256d(merkle(wtxids) + bytes(32))
        assert [s for s in cb.scripts if s.startswith(COMMITMENT_PREFIX)] == [expected]


def test_serializations_and_txids(small_blocks: list[Block]) -> None:
    txs = [tx for block in small_blocks for tx in block.txs]
    assert len({tx.txid for tx in txs}) == len(txs)
    for tx in txs:
        if tx.segwit:
            assert tx.wtxid != tx.txid
        else:
            assert tx.wtxid == tx.txid
            assert not tx.witness


def test_timestamps_follow_the_median_time_past_rule(small: SimulatedChain) -> None:
    times = small.times.tolist()
    for i in range(1, len(times)):
        recent = sorted(times[max(0, i - 11) : i])
        assert times[i] > recent[len(recent) // 2]
    assert any(b < a for a, b in itertools.pairwise(times))


def test_the_mix_has_every_kind(small_blocks: list[Block]) -> None:
    found = kinds_of(small_blocks)
    assert found >= ALL_KINDS, ALL_KINDS - found
    edges = {k for k in found if k.startswith("edge")}
    assert {"edge 999", "edge 1000", "edge 1001", "edge 10000000000000"} <= edges
    assert edges & {"edge 9999", "edge 10001", "edge 99990", "edge 100010"}


def test_spends_within_the_window_follow_their_parent(small_blocks: list[Block]) -> None:
    position: dict[bytes, tuple[int, int, int]] = {}
    for b, block in enumerate(small_blocks):
        for t, tx in enumerate(block.txs):
            for prev, vout in tx.prevouts:
                if prev in position:
                    pb, pt, n_out = position[prev]
                    assert (pb, pt) < (b, t)
                    assert vout < n_out
            position[tx.txid] = (b, t, len(tx.values))


def test_round_usd_payments_carry_the_planted_price(
    small: SimulatedChain, small_blocks: list[Block]
) -> None:
    """A good share of 2-output payments is a round USD amount at the block's planted price."""
    hits = total = 0
    for block in small_blocks:
        price = small.planted_price(block.time)
        for tx in block.txs[1:]:
            script_path = bool(tx.witness) and len(tx.witness[0]) > 2
            if len(tx.values) != 2 or len(tx.prevouts) > 5 or script_path:
                continue
            total += 1
            usd = np.array(tx.values) / 1e8 * price
            near = np.abs(usd[:, None] / USD_AMOUNTS[None, :] - 1.0) < 0.01
            hits += bool(near.any())
    assert total > 500
    assert 0.15 < hits / total < 0.6


def test_planted_price_path() -> None:
    spec = replace(small_spec(), days=2)
    chain = generate_chain(replace(spec, txs_per_block=3))
    m = spec.first_midnight
    assert chain.planted_price(m) == pytest.approx(spec.price_usd, rel=1e-12)
    end = chain.planted_price(m + 2 * 86400)
    assert end == pytest.approx(spec.price_usd * (1 + spec.drift), rel=spec.wiggle * 1.01)
    grid = chain.planted_price(np.arange(m, m + 86400, 60))
    assert grid.min() <= chain.planted_mean() <= grid.max()
    assert chain.planted_mean(spec.start_date + dt.timedelta(days=1)) > chain.planted_mean()


def test_project_parser_reads_the_chain(small: SimulatedChain, small_blocks: list[Block]) -> None:
    parser = pytest.importorskip("chainprice.core.block_parser")
    cols = parser.parse_blocks(
        [
            parser.RawBlock(h, raw)
            for h, raw in zip(small.heights.tolist(), small.blocks, strict=True)
        ]
    )
    txs = [tx for block in small_blocks for tx in block.txs]
    assert cols.n_transactions == len(txs)
    assert cols.txid.tobytes() == b"".join(tx.txid for tx in txs)
    assert cols.out_value.tolist() == [v for tx in txs for v in tx.values]
    assert cols.is_segwit.tolist() == [tx.segwit for tx in txs]
    assert cols.has_op_return.tolist() == [any(s[:1] == b"\x6a" for s in tx.scripts) for tx in txs]
    large = [
        any(len(item) > 500 for stack in tx.witness for item in stack)
        or any(sum(map(len, stack)) > 500 for stack in tx.witness)
        for tx in txs
    ]
    assert cols.has_large_witness.tolist() == large


def test_spec_rejects_impossible_mixes() -> None:
    with pytest.raises(ValueError):
        replace(small_spec(), mix=TxMix(chain=0.6, batch=0.5))
    with pytest.raises(ValueError):
        replace(small_spec(), payments=PaymentMix(round_usd=0.9, round_btc=0.2))
    with pytest.raises(ValueError):
        replace(small_spec(), nonmono_rate=1.5)


def test_full_size_preset_parameters() -> None:
    spec = full_size_day()
    assert spec.txs_per_block == 3_000
    assert spec.days == 1
    hours = 24 + spec.lead_hours + spec.tail_hours
    assert 150 <= hours * 3600 / spec.block_interval <= 175


def test_compact_preset_day() -> None:
    spec = compact_day()
    chain = generate_chain(spec)
    assert spec.txs_per_block == 250
    assert 130 <= chain.heights_in_day(spec.start_date).size <= 150
    assert chain.times[-7] >= spec.first_midnight + 86400  # the day is complete at the tip
    times = chain.times.tolist()
    assert all(
        times[i] > statistics.median_high(times[max(0, i - 11) : i]) for i in range(1, len(times))
    )
    backwards = sum(b < a for a, b in itertools.pairwise(times)) / len(times)
    assert 0.005 < backwards < 0.05
    blocks = walk(chain)
    found = kinds_of(blocks)
    assert found >= ALL_KINDS, ALL_KINDS - found
    n_txs = sum(len(b.txs) for b in blocks)
    assert 450 < chain.total_bytes / n_txs < 570


def test_same_block_spends_follow_their_parents() -> None:
    """A node refuses a block where a transaction spends one placed after it."""
    from chainprice.core import parse_block

    sim = generate_chain(compact_day())
    spends = 0
    for height, raw in zip(sim.heights.tolist(), sim.blocks, strict=True):
        block = parse_block(height, raw)
        position = {bytes(t): i for i, t in enumerate(block.txid)}
        starts = np.concatenate([[0], np.cumsum(block.walk.n_in)])
        for i in range(block.n_transactions):
            for prev in block.walk.prev_txid[starts[i] : starts[i + 1]]:
                parent = position.get(bytes(prev))
                if parent is not None:
                    spends += 1
                    assert parent < i, f"block {height}: tx {i} spends tx {parent} placed after it"
    assert spends > 100
