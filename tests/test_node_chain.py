"""NodeChain over an in-process block source: header cache, block checks, ordered fetch."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from dataclasses import fields
from functools import cache

import numpy as np
import pytest
from conftest import expected, golden_chain

from chainprice.adapters.node import (
    BadResponseError,
    BlockCheckError,
    BlockFetchError,
    FetchStats,
    NodeChain,
    NotFoundError,
    UnreachableError,
)
from chainprice.adapters.node.headers import header_hash
from chainprice.core import BlockParseError, PriceResult, RawBlock, parse_blocks, price_day

NAME = "g1_42k"
DAY = dt.date(2024, 3, 15)


@cache
def golden_blocks() -> dict[int, bytes]:
    first, tip = expected()["chains"][NAME]["heights"]
    return {b.height: bytes(b.data) for b in golden_chain(NAME).fetch(first, tip + 1)}


class GoldenSource:
    """A ``BlockSource`` over the golden chain g1_42k, as a node serving it from height 834370.

    Counts every call; ``bad`` maps a block hash to how many damaged copies
    to serve before the real one; ``delay`` makes some blocks slow.
    """

    def __init__(self, header_batch: int | None = None) -> None:
        self.blocks = golden_blocks()
        self.hashes = {h: header_hash(b) for h, b in self.blocks.items()}
        self.by_hash = {v: self.blocks[h] for h, v in self.hashes.items()}
        self.first, self.tip = min(self.blocks), max(self.blocks)
        self.stats = FetchStats()
        self.header_calls: list[tuple[int, int]] = []
        self.hash_calls: list[int] = []
        self.block_calls: Counter[str] = Counter()
        self.bad: dict[str, int] = {}
        self.damage = "truncate"
        self.delay: dict[str, float] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        if header_batch is not None:
            self.header_batch = header_batch

    def tip_height(self) -> int:
        return self.tip

    def block_hash(self, height: int) -> str:
        self.hash_calls.append(height)
        if height not in self.hashes:
            raise NotFoundError(f"no block at height {height}")
        return self.hashes[height]

    def headers(self, start: int, count: int) -> list[bytes]:
        self.header_calls.append((start, count))
        if not self.first <= start <= self.tip:
            raise NotFoundError(f"no block at height {start}")
        return [self.blocks[h][:80] for h in range(start, min(start + count, self.tip + 1))]

    def raw_block(self, block_hash: str) -> bytes:
        with self.lock:
            self.block_calls[block_hash] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            damaged = self.bad.get(block_hash, 0) > 0
            if damaged:
                self.bad[block_hash] -= 1
        time.sleep(self.delay.get(block_hash, 0.0))
        with self.lock:
            self.in_flight -= 1
        data = self.by_hash[block_hash]
        if not damaged:
            return data
        if self.damage == "truncate":
            return data[: len(data) // 2]
        return data[:80][::-1] + data[80:]

    def mempool_transactions(self) -> list[bytes]:
        return []


def assert_same_result(ours: PriceResult | None, theirs: PriceResult | None) -> None:
    """Every field equal, arrays element for element (``==`` on results compares arrays)."""
    assert (ours is None) == (theirs is None)
    if ours is None or theirs is None:
        return
    for f in fields(PriceResult):
        a, b = getattr(ours, f.name), getattr(theirs, f.name)
        if f.name == "points":
            for name in ("price", "height", "time"):
                assert np.array_equal(getattr(a, name), getattr(b, name))
        elif f.name == "canonical":
            assert_same_result(a, b)
        else:
            assert a == b, f.name


def parse_one(height: int, data: bytes) -> int:
    """A per-block verifier like the one the engine passes: the parser's checks, a result out."""
    return parse_blocks([RawBlock(height, data)]).n_transactions


def test_a_day_prices_exactly_as_from_block_files_with_few_header_requests() -> None:
    source = GoldenSource()
    chain = NodeChain(source, workers=4, verify=parse_one)
    files = golden_chain(NAME)
    assert_same_result(price_day(chain, chain.fetch, DAY), price_day(files, files.fetch, DAY))
    # one prefetch reaching below the served chain, a bisection for its first height, one load
    assert source.header_calls == [(834255, 288), (834370, 173)]
    assert len(source.hash_calls) <= 10
    assert sum(source.block_calls.values()) == 133  # each block of the window fetched once
    assert set(source.block_calls.values()) == {1}


def test_header_times_come_from_the_cache_after_one_prefetch() -> None:
    source = GoldenSource(header_batch=50)
    chain = NodeChain(source)
    times = [chain.header_time(h) for h in range(834450, 834500)]
    assert times == [golden_chain(NAME).header_time(h) for h in range(834450, 834500)]
    assert source.header_calls == [(834425, 50), (834475, 25)]  # centred, then the rest
    assert chain.block_count() == source.tip
    assert chain.block_hash(834460) == source.hashes[834460]


def test_heights_past_the_tip_are_a_clear_error() -> None:
    chain = NodeChain(GoldenSource())
    with pytest.raises(NotFoundError, match="height 834543 is past the node's tip 834542"):
        chain.header_time(834543)
    with pytest.raises(NotFoundError, match=r"heights \[834540, 834550\) is past"):
        chain.fetch(834540, 834550)


def test_headers_that_do_not_link_are_refused() -> None:
    source = GoldenSource()
    original = source.headers

    def swapped(start: int, count: int) -> list[bytes]:
        out = original(start, count)
        if len(out) > 5:
            out[3], out[4] = out[4], out[3]
        return out

    source.headers = swapped  # type: ignore[method-assign]
    with pytest.raises(BadResponseError, match="do not link by previous-block hash"):
        NodeChain(source).header_time(834400)


def test_blocks_arrive_in_height_order_while_slow_ones_download() -> None:
    source = GoldenSource()
    rng = random.Random(3)
    source.delay = {source.hashes[h]: rng.uniform(0, 0.02) for h in range(834400, 834460)}
    chain = NodeChain(source, workers=6)
    blocks = list(chain.iter_blocks(834400, 834460))
    assert [b.height for b in blocks] == list(range(834400, 834460))
    assert all(b.data == source.blocks[b.height] for b in blocks)
    assert 1 < source.max_in_flight <= 6


def test_read_ahead_is_bounded_when_the_consumer_is_slow() -> None:
    source = GoldenSource()
    chain = NodeChain(source, workers=2)
    blocks = chain.iter_blocks(834400, 834440)
    next(blocks)
    time.sleep(0.2)  # the consumer dawdles; the fetchers must not run away
    assert sum(source.block_calls.values()) <= 1 + 2 * 2
    blocks.close()
    assert sum(source.block_calls.values()) <= 1 + 2 * 2


def test_a_verifier_s_results_are_yielded_in_order() -> None:
    chain = NodeChain(GoldenSource(), workers=3)
    counts = list(chain.iter_blocks(834380, 834390, verify=parse_one))
    assert counts == [parse_one(b.height, bytes(b.data)) for b in chain.fetch(834380, 834390)]


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_blocks_are_fetched_again_and_counted(damage: str) -> None:
    source = GoldenSource()
    source.damage = damage
    source.bad = {source.hashes[834402]: 2, source.hashes[834405]: 1}
    chain = NodeChain(source, workers=4, verify=parse_one)
    blocks = chain.fetch(834400, 834410)
    assert [bytes(b.data) for b in blocks] == [source.blocks[h] for h in range(834400, 834410)]
    snap = chain.stats.snapshot()
    assert snap["rejected_blocks"] == 3 and snap["retries"] == 3


def test_a_block_that_stays_damaged_is_never_used() -> None:
    source = GoldenSource()
    source.bad = {source.hashes[834403]: 100}
    chain = NodeChain(source, verify=parse_one, retries=2)
    with pytest.raises(
        BlockCheckError, match=r"block 834403 \([0-9a-f]{64}\) failed verification 3"
    ):
        chain.fetch(834400, 834410)
    assert source.block_calls[source.hashes[834403]] == 3


def test_without_a_verifier_a_truncated_block_whose_header_hashes_passes_to_the_parser() -> None:
    """The header check alone cannot see a cut tail: that is what ``verify`` is for."""
    source = GoldenSource()
    source.bad = {source.hashes[834403]: 1}
    blocks = NodeChain(source).fetch(834403, 834404)
    with pytest.raises(BlockParseError, match="block 834403"):
        parse_blocks(blocks)


def test_a_source_failure_names_the_block() -> None:
    source = GoldenSource()

    def down(block_hash: str) -> bytes:
        raise UnreachableError("cannot reach the node at http://x: Connection refused")

    source.raw_block = down  # type: ignore[method-assign]
    with pytest.raises(BlockFetchError, match="block 834400: cannot reach the node"):
        NodeChain(source).fetch(834400, 834402)
