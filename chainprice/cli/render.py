"""How a price result reads in a terminal or as JSON."""

from __future__ import annotations

from typing import Any

from chainprice.core.result import PriceResult

WINDOW_NAMES = {"day": "day window", "canonical_day": "canonical day window"}


def window_name(result: PriceResult) -> str:
    """How the window reads: a day rule, or the latest N blocks (N as priced)."""
    n = result.n_blocks
    return WINDOW_NAMES.get(result.kind) or f"latest {n} block{'' if n == 1 else 's'}"


def summary(result: PriceResult, *, with_points: bool = False) -> dict[str, Any]:
    """The public result's JSON (``chainprice.Price``), and the points on request (many)."""
    from chainprice.api.result import from_engine

    out = from_engine(result).to_json()
    if with_points:
        _add_points(out, result)
    return out


def _add_points(out: dict[str, Any], result: PriceResult) -> None:
    out["points"] = {
        "price": result.points.price.tolist(),
        "height": result.points.height.tolist(),
        "time": result.points.time.tolist(),
    }
    if result.canonical is not None:
        _add_points(out["canonical"], result.canonical)


def text(result: PriceResult, planted: float | None = None) -> str:
    """A short human report; ``planted`` is the simulated chain's true mean, when known."""
    when = f" for {result.date}" if result.date else ""
    lines = [
        f"On-chain price{when}: ${int(result.price):,}",
        f"  window      {window_name(result)}, blocks [{result.start}, {result.end}) "
        f"({result.n_blocks} blocks), tip {result.tip}",
        f"  exact       {result.price!r} (rough {result.rough:,})",
        f"  amounts     {result.n_outputs:,} outputs, {result.n_price_points:,} price points, "
        f"{result.n_plotted:,} within the chart range (±{result.ax_range:.1%})",
        f"  spread      dev_pct {result.dev_pct:.4f}",
    ]
    if result.kind == "day":
        if result.canonical_pending:
            lines.append("  canonical   not settled yet (too few blocks after the next midnight)")
        elif result.canonical is None:
            lines.append("  canonical   same window, same price")
        else:
            c = result.canonical
            if c.price == result.price:
                lines.append(f"  canonical   blocks [{c.start}, {c.end}), the same price")
            else:
                lines.append(
                    f"  canonical   blocks [{c.start}, {c.end}), another price: "
                    f"${int(c.price):,} ({c.price!r})"
                )
    if planted is not None:
        lines.append(
            f"  planted     ${planted:,.0f} on this simulated chain "
            f"(error {result.price / planted - 1:+.2%})"
        )
    return "\n".join(lines)
