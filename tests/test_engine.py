"""The wiring of the engine: windows, blocks and results fit together, or fail clearly."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import golden_chain

from chainprice.core import (
    PriceError,
    SourceError,
    WindowError,
    parse_blocks,
    price_day,
    price_recent,
)
from chainprice.core.engine import price_blocks
from chainprice.core.windows import Window


class ShorterChain:
    """A golden chain seen from an earlier tip, as a node would have served it then."""

    def __init__(self, name: str, tip: int) -> None:
        self.chain = golden_chain(name)
        self.tip = tip

    def block_count(self) -> int:
        return self.tip

    def header_time(self, height: int) -> int:
        if height > self.tip:
            raise SourceError(f"height {height} is above the tip {self.tip}")
        return self.chain.header_time(height)

    def fetch(self, start: int, end: int):
        return self.chain.fetch(start, end)


def test_unsettled_canonical_day_still_gives_the_reference_price() -> None:
    """Right after midnight the canonical end can still move; the reference price cannot wait."""
    chain = ShorterChain("g2_97k", 872703)
    result = price_day(chain, chain.fetch, dt.date(2024, 12, 5))
    assert (result.start, result.end) == (872559, 872692)
    assert result.price == 96209.35154897056
    assert result.canonical is None and result.canonical_pending


def test_settled_canonical_day_is_not_pending() -> None:
    chain = ShorterChain("g2_97k", 872704)
    result = price_day(chain, chain.fetch, dt.date(2024, 12, 5))
    assert not result.canonical_pending
    assert result.canonical is not None and result.canonical.end == 872694


def test_blocks_must_be_exactly_the_window() -> None:
    chain = golden_chain("g1_42k")
    window = Window(834400, 834410, 834542)
    with pytest.raises(WindowError, match=r"expected the blocks \[834400, 834410\)"):
        price_blocks(chain.fetch(834400, 834409), window, "blocks")


def test_recent_window_needs_144_blocks_below_the_tip() -> None:
    chain = ShorterChain("g1_42k", 100)
    with pytest.raises(WindowError, match="144 are needed"):
        price_recent(chain, chain.fetch)


def test_a_window_of_coinbases_only_is_a_clear_error() -> None:
    """A coinbase-only block records nothing, and the error says so instead of a crash."""
    chain = golden_chain("g1_42k")
    empty = [
        h for h in range(834370, 834543) if parse_blocks(chain.fetch(h, h + 1)).n_transactions == 1
    ]
    assert empty, "the golden chain has empty blocks"
    h = empty[0]
    with pytest.raises(PriceError, match="not enough transactions"):
        price_blocks(chain.fetch(h, h + 1), Window(h, h + 1, 834542), "blocks")
