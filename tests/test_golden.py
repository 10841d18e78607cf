"""The reference's own results on the golden chains, reproduced to the last bit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import golden_chain, golden_points, golden_results

from chainprice.core import day_window, parse_blocks, price_day, price_recent, recorded_amounts
from chainprice.core.histogram import clean_histogram, raw_histogram

CASES = golden_results()
IDS = [f"{name}-{r['mode']}" for name, r in CASES]


def _price(name: str, ref: dict):
    chain = golden_chain(name)
    if ref["mode"] == "date":
        return price_day(chain, chain.fetch, dt.date.fromisoformat(ref["date"]))
    return price_recent(chain, chain.fetch)


@pytest.mark.parametrize(("name", "ref"), CASES, ids=IDS)
def test_result_matches_reference(name: str, ref: dict) -> None:
    result = _price(name, ref)
    assert (result.start, result.end) == (ref["block_start"], ref["block_end"])
    assert result.tip == ref["block_count"]
    assert result.rough == ref["rough"]
    assert result.price == ref["price_exact"]
    assert int(result.price) == ref["price"]
    assert result.n_outputs == ref["n_outputs"]
    assert result.n_price_points == ref["n_price_points"]
    assert result.n_plotted == ref["n_plotted"]
    assert result.dev_pct == ref["dev_pct"]
    assert result.ax_range == ref["ax_range"]
    assert int(result.points.height.min()) == ref["first_height"]
    assert int(result.points.height.max()) == ref["last_height"]


@pytest.mark.parametrize(("name", "ref"), CASES, ids=IDS)
def test_plotted_points_match_reference(name: str, ref: dict) -> None:
    points = golden_points(ref["points_file"])["points"]
    result = _price(name, ref)
    assert np.array_equal(result.points.price, np.array(points["price"], dtype=np.float64))
    assert np.array_equal(result.points.height, np.array(points["height"]))
    assert np.array_equal(result.points.time, np.array(points["time"]))


@pytest.mark.parametrize(("name", "ref"), CASES, ids=IDS)
def test_cleaned_histogram_matches_reference(name: str, ref: dict) -> None:
    chain = golden_chain(name)
    amounts = recorded_amounts(parse_blocks(chain.fetch(ref["block_start"], ref["block_end"])))
    hist = clean_histogram(raw_histogram(amounts.btc))
    expected = np.array(golden_points(ref["points_file"])["histogram"], dtype=np.float64)
    assert np.array_equal(hist, expected)


def _dedup(seq) -> list[int]:
    return [h for i, h in enumerate(seq) if i == 0 or seq[i - 1] != h]


@pytest.mark.parametrize(
    ("name", "ref"),
    [c for c in CASES if c[1]["mode"] == "date"],
    ids=[name for name, r in CASES if r["mode"] == "date"],
)
def test_day_walk_reads_the_same_heights(name: str, ref: dict) -> None:
    """Our walk asks for the same headers, in the same order, as the reference did."""
    window = day_window(golden_chain(name), dt.date.fromisoformat(ref["date"]))
    ours = _dedup(window.search_path)
    theirs = _dedup(ref["rpc_getblockhash_sequence"])
    assert ours == theirs
    assert ours[-1] == window.end  # the first header past the day ends the scan


def test_canonical_window_differs_where_midnight_blocks_are_out_of_order() -> None:
    """g2_97k: the block stamped 23:59:42 after one stamped 00:01:56 joins the canonical day."""
    chain = golden_chain("g2_97k")
    result = price_day(chain, chain.fetch, dt.date(2024, 12, 5))
    assert (result.start, result.end) == (872559, 872692)
    assert result.canonical is not None
    assert (result.canonical.start, result.canonical.end) == (872559, 872694)
    assert result.canonical.kind == "canonical_day"
    assert result.canonical.n_outputs > result.n_outputs
    assert result.canonical_price == result.canonical.price
