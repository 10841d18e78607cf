"""Sections 3-8 step by step: exact float forms, edge rules, and the clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.core import Amounts, PriceError, Window, price_amounts
from chainprice.core.final_price import central_point, final_price
from chainprice.core.histogram import BIN_EDGES, clean_histogram, raw_histogram
from chainprice.core.price_points import (
    ROUND_HI,
    ROUND_LO,
    ROUND_SATS,
    PricePoints,
    is_near_round_sats,
    price_points,
)
from chainprice.core.sha256d import (
    LIBCRYPTO,
    double_sha256,
    double_sha256_spans,
    merkle_root,
    merkle_tree,
)
from chainprice.core.stencils import SMOOTH, SPIKE

WINDOW = Window(800000, 800144, 800150)


def amounts(btc: list[float]) -> Amounts:
    n = len(btc)
    return Amounts(np.array(btc, np.float64), np.full(n, 800000), np.full(n, 1710500000))


def test_bin_edges_are_python_float_powers() -> None:
    assert BIN_EDGES.size == 2401 and BIN_EDGES[0] == 0.0
    assert BIN_EDGES[1] == 10 ** (-6 + 0 / 200)
    assert BIN_EDGES[1 + 200 * 8 + 137] == 10 ** (2 + 137 / 200)
    assert BIN_EDGES[2400] == 10 ** (5 + 199 / 200)


def test_stencils() -> None:
    assert SMOOTH[411] == 0.0015 * 2.718281828459045 ** (-0 / (2 * 201**2)) + 0.0000005 * 411
    assert SPIKE.size == SMOOTH.size == 803
    assert np.count_nonzero(SPIKE) == 29 and SPIKE[401] == 0.006174500465286022


def test_histogram_bins_by_lower_edge_and_top_bin() -> None:
    edge = float(BIN_EDGES[700])
    top = float(BIN_EDGES[2400])  # about 988,553 BTC: 10 ** (5 + 199 / 200)
    counts = raw_histogram(np.array([edge, np.nextafter(edge, 0), top, 2e6, 99_999.0]))
    assert counts[700] == 1 and counts[699] == 1 and counts[2400] == 2
    assert counts[2200] == 1  # 99,999 BTC sits in a bin that cleaning zeroes


def test_cleaning_zeroes_smooths_normalises_and_caps() -> None:
    counts = np.zeros(2401)
    counts[[150, 400, 402, 700, 1700]] = [5, 1, 3, 200, 7]
    hist = clean_histogram(counts)
    assert hist[150] == 0 and hist[1700] == 0
    total = 1 + 3 + 200 + 0.5 * (1 + 3)  # bin 401 becomes the mean of its neighbours
    assert hist[401] == min(2.0 / total, 0.008)
    assert hist[700] == 0.008  # capped


def test_empty_window_is_a_clear_error() -> None:
    with pytest.raises(PriceError, match="not enough transactions"):
        price_amounts(amounts([]), WINDOW, "blocks")


def test_degenerate_fit_is_a_clear_error() -> None:
    """Amounts only above every stencil position leave all scores 0, so a1 + a2 == 0."""
    with pytest.raises(PriceError, match="a1 \\+ a2 == 0"):
        price_amounts(amounts([3.0] * 50), WINDOW, "blocks")


def test_empty_central_range_is_a_clear_error() -> None:
    points = PricePoints(np.array([50_000.0, 70_000.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(PriceError, match="no price points between"):
        final_price(points, 60_000, 800000, 800143)


def test_central_point_even_count_tie_and_spread() -> None:
    best, spread = central_point(np.array([1.0, 2.0, 3.0, 4.0, 100.0]), 0.0, 10.0)
    assert best == 2.0  # points 2 and 3 tie in total distance; the first minimum wins
    assert spread == (1.0 + 1.0) / 2  # |p - 2| = 1, 0, 1, 2 -> median of 0, 1, 1, 2


def test_price_points_order_and_values() -> None:
    rough = 50_000
    # 0.00206 is near $100 only; 0.000452 is near $20, $25 and $30 (their ±25% bands overlap);
    # 0.0012 is near $50 but within 0.01% of the round-satoshi value 0.0012, so it gives none.
    btc = [0.00206, 0.000452, 0.0012]
    points = price_points(amounts(btc), rough)
    assert points.price.tolist() == [100 / 0.00206, 20 / 0.000452, 25 / 0.000452, 30 / 0.000452]


def test_round_sats_keep_their_float_drift() -> None:
    assert 0.0001 in ROUND_SATS and 0.01 in ROUND_SATS
    assert 0.009999999999999995 in ROUND_SATS  # drift left one just below the run's limit
    assert ROUND_SATS.size == 366


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(1e-5, 2.0, allow_nan=False),
            st.sampled_from(ROUND_SATS.tolist()).flatmap(
                lambda r: st.floats(r * 0.9998, r * 1.0002)
            ),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_near_round_sats_equals_the_plain_rule(btc: list[float]) -> None:
    plain = [any(r - 0.0001 * r < v < r + 0.0001 * r for r in ROUND_SATS.tolist()) for v in btc]
    fast = [is_near_round_sats(v, ROUND_SATS, ROUND_LO, ROUND_HI) for v in btc]
    assert fast == plain


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=20), st.randoms())
@settings(max_examples=50, deadline=None)
def test_openssl_and_hashlib_paths_agree(chunks: list[bytes], rnd) -> None:
    buf = np.frombuffer(b"".join(chunks) or b"\x00", np.uint8)
    spans = np.zeros((len(chunks), 6), np.int64)
    for r in range(len(chunks)):
        cuts = sorted(rnd.randint(0, buf.size) for _ in range(6))
        spans[r] = cuts
    fast = double_sha256_spans(buf, spans)
    portable = double_sha256_spans(buf, spans, portable=True)
    assert np.array_equal(fast, portable)
    a0, b0, a1, b1, a2, b2 = spans[0]
    data = buf.tobytes()
    assert fast[0].tobytes() == double_sha256(data[a0:b0] + data[a1:b1] + data[a2:b2])


def test_fast_hashing_is_in_use_on_linux() -> None:
    assert LIBCRYPTO is not None and "libcrypto" in LIBCRYPTO


def test_merkle_paths_agree_and_flag_repeated_pairs() -> None:
    rows = np.random.default_rng(5).integers(0, 256, (37, 32), dtype=np.uint8)
    assert merkle_tree(rows) == merkle_tree(rows, portable=True)
    assert merkle_tree(rows)[1] is False
    repeated = np.concatenate([rows, rows[-1:]])  # 37 -> 38 rows: same root, mutated
    assert merkle_root(repeated) == merkle_root(rows)
    assert merkle_tree(repeated)[1] is True
    assert merkle_tree(repeated, portable=True) == merkle_tree(repeated)


def test_chart_points_keep_their_order_unless_the_window_is_one_block() -> None:
    prices = np.array([101.0, 99.0, 100.5, 100.0, 99.5])
    points = PricePoints(prices, np.full(5, 800000), np.full(5, 1710500000))
    one_block = final_price(points, 100, 800000, 800000)
    assert one_block.price == 100.0
    assert one_block.plotted.price.tolist() == sorted(prices.tolist())
    two_blocks = final_price(points, 100, 800000, 800001)
    assert two_blocks.plotted.price.tolist() == prices.tolist()


def test_bin_index_equals_searching_the_edges() -> None:
    """The log10 shortcut must land in the same bin as a search, edges and their neighbours too."""
    from chainprice.core.histogram import BIN_EDGES, bin_index

    rng = np.random.default_rng(0)
    amounts = np.concatenate(
        [
            10 ** rng.uniform(-7, 6, 200_000),
            BIN_EDGES,
            np.nextafter(BIN_EDGES, 0),
            np.nextafter(BIN_EDGES, np.inf),
            [0.0, 5e-324, 1e-300, 1e7, 1e300],
        ]
    )
    want = np.searchsorted(BIN_EDGES, amounts, side="right") - 1
    np.testing.assert_array_equal(bin_index(amounts), want)
