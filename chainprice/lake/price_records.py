"""Price results as rows of the ``prices``, ``intraday`` and ``histograms`` tables,
with validity and the exchange comparison.

Confidence: ``min(1, n_price_points / FULL_POINTS) * clip((SPREAD_ZERO - dev_pct) /
(SPREAD_ZERO - SPREAD_FULL), 0, 1)``. Few price points or a wide spread of them
around the final price both mean the histogram's peak was weak. A price outside
the configured range or below the confidence floor is kept with
``is_valid = false`` and a reason, never dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from chainprice.core.histogram import BIN_EDGES, FIRST_KEPT_BIN, LAST_KEPT_BIN
from chainprice.core.result import ROUND_USD, PriceResult
from chainprice.core.rough_price import SLIDES
from chainprice.lake_schema import to_table

FULL_POINTS = 2000
SPREAD_FULL = 0.2
SPREAD_ZERO = 0.6
DIVERGENCE_PCT = 2.0


@dataclass(frozen=True)
class Validity:
    """What makes a stored price valid (from config; the defaults suit 2023 onwards)."""

    min_price: float = 1_000.0
    max_price: float = 10_000_000.0
    min_confidence: float = 0.5


def confidence(result: PriceResult) -> float:
    points = min(1.0, result.n_price_points / FULL_POINTS)
    spread = (SPREAD_ZERO - result.dev_pct) / (SPREAD_ZERO - SPREAD_FULL)
    return points * min(1.0, max(0.0, spread))


def invalid_reason(result: PriceResult, validity: Validity) -> str | None:
    if not validity.min_price <= result.price <= validity.max_price:
        return (
            f"price {result.price:,.0f} outside the valid range "
            f"{validity.min_price:,.0f}..{validity.max_price:,.0f}"
        )
    if confidence(result) < validity.min_confidence:
        return f"confidence {confidence(result):.2f} below {validity.min_confidence:.2f}"
    return None


def exchange_fields(price: float, exchange_price: float | None) -> dict[str, Any]:
    """The comparison columns of a price row (all null without an exchange price)."""
    diff = None if exchange_price is None else price - exchange_price
    diff_pct = None if diff is None or not exchange_price else 100.0 * diff / exchange_price
    return {
        "exchange_price": exchange_price,
        "diff_usd": diff,
        "diff_pct": diff_pct,
        "diverges": None if diff_pct is None else abs(diff_pct) > DIVERGENCE_PCT,
    }


def price_row(
    result: PriceResult,
    validity: Validity,
    exchange_price: float | None,
    computed_at: dt.datetime,
) -> dict:
    """One ``prices`` row (stored columns only; the partitions are in the object name)."""
    canonical = result.canonical
    reason = invalid_reason(result, validity)
    return {
        "window_rule": "canonical" if result.kind == "canonical_day" else "reference",
        "start_height": result.start,
        "end_height": result.end,
        "tip_height": result.tip,
        "rough_price": result.rough,
        "price": result.price,
        "canonical_price": result.canonical_price if result.kind == "day" else None,
        "canonical_start_height": canonical.start if canonical else None,
        "canonical_end_height": canonical.end if canonical else None,
        "canonical_pending": result.canonical_pending,
        "n_blocks": result.n_blocks,
        "n_outputs": result.n_outputs,
        "n_price_points": result.n_price_points,
        "n_plotted": result.n_plotted,
        "dev_pct": result.dev_pct,
        "ax_range": result.ax_range,
        "confidence": confidence(result),
        "is_valid": reason is None,
        "invalid_reason": reason,
        **exchange_fields(result.price, exchange_price),
        "method_version": result.method_version,
        "computed_at": computed_at,
    }


def prices_table(rows: list[dict]) -> pa.Table:
    return to_table("prices", rows)


def intraday_table(result: PriceResult) -> pa.Table:
    points = result.points
    return to_table(
        "intraday",
        {
            "height": points.height.astype("int32"),
            "time": points.time.astype("int64"),
            "price": points.price,
            "seq": list(range(points.size)),
        },
    )


def histogram_table(result: PriceResult) -> pa.Table:
    """The ``histograms`` row of a priced window (its cleaned histogram and stencil fit)."""
    fit = result.fit
    kept = slice(FIRST_KEPT_BIN, LAST_KEPT_BIN + 1)
    row = {
        "start_height": result.start,
        "end_height": result.end,
        "rough_price": result.rough,
        "bins": list(range(FIRST_KEPT_BIN, LAST_KEPT_BIN + 1)),
        "bin_btc": BIN_EDGES[kept].tolist(),
        "bin_value": fit.histogram[kept].tolist(),
        "slides": SLIDES.tolist(),
        "slide_scores": fit.slide_scores.tolist(),
        "best_slide": fit.best_slide,
        "round_usd": list(ROUND_USD),
        "round_usd_btc": fit.round_usd_btc.tolist(),
    }
    return to_table("histograms", [row])
