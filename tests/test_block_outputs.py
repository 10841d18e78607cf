"""Lake rows re-price any window exactly as the raw blocks do, however blocks were batched."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pytest
from conftest import expected, golden_chain

from chainprice.core import WindowError, day_window, parse_block, price_day, price_recent
from chainprice.core.block_outputs import (
    SPEND_LOOKBACK,
    KnownTxids,
    OutputRows,
    block_rows,
    price_rows,
)
from chainprice.core.engine import price_blocks
from chainprice.core.windows import Window, block_window

CHAINS = sorted(expected()["chains"])


@cache
def parsed(name: str) -> list:
    chain = golden_chain(name)
    lo, hi = expected()["chains"][name]["heights"]
    return [parse_block(b.height, b.data) for b in chain.fetch(lo, hi + 1)]


def rows_in_batches(name: str, seed: int) -> OutputRows:
    """The chain's rows built in random batch sizes, carrying the lookback like ingestion does."""
    rng = np.random.default_rng(seed)
    blocks, known, parts, i = parsed(name), KnownTxids.empty(), [], 0
    while i < len(blocks):
        batch = blocks[i : i + int(rng.integers(1, 40))]
        i += len(batch)
        made = block_rows(batch, known)
        parts.append(made.outputs)
        known = KnownTxids(
            np.concatenate([known.height, made.txids.height]),
            np.concatenate([known.txid, made.txids.txid]),
        )
    return OutputRows(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in OutputRows.__dataclass_fields__)
    )


def assert_same(got, want) -> None:
    assert (got.price, got.rough, got.n_outputs, got.n_price_points) == (
        want.price,
        want.rough,
        want.n_outputs,
        want.n_price_points,
    )
    assert (got.dev_pct, got.ax_range) == (want.dev_pct, want.ax_range)
    for field in want.points.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(got.points, field), getattr(want.points, field))


@pytest.mark.parametrize("name", CHAINS)
def test_rows_do_not_depend_on_batching(name: str) -> None:
    one, other = rows_in_batches(name, 1), rows_in_batches(name, 2)
    for field in OutputRows.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(one, field), getattr(other, field))


@pytest.mark.parametrize("name", CHAINS)
def test_day_and_recent_from_rows_equal_the_blocks(name: str) -> None:
    chain, rows = golden_chain(name), rows_in_batches(name, 3)
    day = dt.date.fromisoformat(expected()["chains"][name]["days"][0]["date"])
    want = price_day(chain, chain.fetch, day)
    assert_same(price_rows(rows, day_window(chain, day), "day", day), want)
    recent = block_window(chain.block_count())
    assert_same(price_rows(rows, recent, "blocks"), price_recent(chain, chain.fetch))


@pytest.mark.parametrize("name", CHAINS)
def test_any_window_start_from_rows_equals_the_blocks(name: str) -> None:
    """The same-window rule moves with the window start; the stored funding height follows it."""
    chain, rows = golden_chain(name), rows_in_batches(name, 4)
    lo, hi = expected()["chains"][name]["heights"]
    rng = np.random.default_rng(5)
    for _ in range(4):
        start = int(rng.integers(lo, hi - 60))
        window = Window(start, start + int(rng.integers(40, 60)), hi)
        want = price_blocks(chain.fetch(window.start, window.end), window, "blocks")
        assert_same(price_rows(rows, window, "blocks"), want)


def test_window_longer_than_the_lookback_is_refused() -> None:
    rows = rows_in_batches(CHAINS[0], 1)
    with pytest.raises(WindowError, match="lookback"):
        price_rows(rows, Window(0, SPEND_LOOKBACK + 2, SPEND_LOOKBACK + 2), "blocks")
