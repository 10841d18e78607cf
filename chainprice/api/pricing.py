"""Pricing through the public API: a day or the latest blocks from a node, block files or a
lake, and sets of outputs or raw transactions other programs already hold.

Each call wires the same parts the CLI wires (``chainprice price`` calls the
helpers below too), so a price and every failure's message are the CLI's.
"""

from __future__ import annotations

import datetime as dt
import numbers
import operator
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from chainprice.api.node import Node
from chainprice.api.result import Price, from_engine
from chainprice.api.values import as_date
from chainprice.core.errors import UsageError, WindowError
from chainprice.core.windows import MAX_LAKE_WINDOW, RECENT_BLOCKS, HeaderSource, latest_day

if TYPE_CHECKING:
    import numpy as np

    from chainprice.adapters.node import NodeChain
    from chainprice.adapters.storage import ObjectStore
    from chainprice.api.lake import Lake
    from chainprice.core.engine import BlockFetcher
    from chainprice.core.result import PriceResult

MEMPOOL_WINDOW_SECONDS = 3 * 3600


def check_recent(n_blocks: int) -> int:
    """A block count the lake can price too (its spend lookback bounds every window)."""
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, numbers.Integral):
        n_blocks = 0
    if not 1 <= n_blocks <= MAX_LAKE_WINDOW:
        raise UsageError(
            f"the latest N blocks: N must be a whole number of blocks from 1 to "
            f"{MAX_LAKE_WINDOW}, not {n_blocks!r}"
        )
    return int(n_blocks)


def with_rule(result: PriceResult, rule: str) -> PriceResult:
    """The day's result under ``rule``; the canonical one refused while it is not settled."""
    if rule not in ("reference", "canonical"):
        raise UsageError(f"window rule {rule!r}: use 'reference' or 'canonical'")
    if rule == "reference" or result.kind != "day":
        return result
    if result.canonical_pending:
        raise WindowError(
            f"the canonical window of {result.date} is not settled yet (too few blocks after "
            "the next midnight); use --window-rule reference or wait"
        )
    return result.canonical or replace(result, kind="canonical_day")


def source_result(
    headers: HeaderSource, fetch: BlockFetcher, day: dt.date | None, recent: int | None
) -> PriceResult:
    """A day (the latest closed one by default) or the latest ``recent`` blocks of a source."""
    from chainprice.core import price_day, price_recent

    if recent is not None:
        return price_recent(headers, fetch, recent)
    return price_day(headers, fetch, day or latest_day(headers))


def node_result(
    chain: NodeChain, fetch: BlockFetcher, day: dt.date | None, recent: int | None
) -> PriceResult:
    """``source_result`` from a node; a block it lacks (pruned, before its first) is named."""
    from chainprice.adapters.node.errors import BlockFetchError, NotFoundError

    try:
        day = day or (latest_day(chain) if recent is None else None)
        return source_result(chain, fetch, day, recent)
    except (NotFoundError, BlockFetchError) as exc:
        what = f"the latest {recent} blocks" if recent is not None else str(day or "the latest day")
        raise NotFoundError(f"cannot price {what}: the node lacks a block it needs: {exc}") from (
            None
        )


def lake_result(store: ObjectStore, day: dt.date | None, recent: int | None) -> PriceResult:
    """A day or the latest blocks from the lake's rows alone (no node)."""
    from chainprice.lake.manifest import load_manifest
    from chainprice.lake.reader import LakeBlocks
    from chainprice.lake.window_prices import day_price, recent_price

    manifest = load_manifest(store)
    if recent is not None:
        return recent_price(store, manifest, recent)
    return day_price(store, manifest, day or latest_day(LakeBlocks(store, manifest)))


def _txid_bytes(txid: str) -> bytes:
    """A display-order hex txid in internal byte order."""
    try:
        raw = bytes.fromhex(txid)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise UsageError(f"txid {txid!r} is not 64 hex digits")
    return raw[::-1]


def _result(
    node: Node | str | None,
    blocks: str | os.PathLike[str] | None,
    lake: Lake | str | None,
    day: dt.date | None,
    recent: int | None,
) -> PriceResult:
    given = [name for name, v in (("node", node), ("blocks", blocks), ("lake", lake)) if v]
    if len(given) != 1:
        raise UsageError(
            "give exactly one of node=, blocks= or lake= (got " + (", ".join(given) or "none") + ")"
        )
    if node:
        from chainprice.core import parse_block

        chain = (node if isinstance(node, Node) else Node(node))._open()
        fetch = lambda start, end: chain.iter_blocks(start, end, parse_block)  # noqa: E731
        return node_result(chain, fetch, day, recent)
    if blocks:
        from chainprice.adapters.block_files import BlockFiles

        files = BlockFiles(Path(blocks))
        return source_result(files, files.fetch, day, recent)
    from chainprice.api.lake import Lake, open_lake

    opened = lake if isinstance(lake, Lake) else open_lake(str(lake))
    return lake_result(opened._store, day, recent)


def price_day(
    day: dt.date | str | None = None,
    *,
    node: Node | str | None = None,
    blocks: str | os.PathLike[str] | None = None,
    lake: Lake | str | None = None,
    window_rule: Literal["reference", "canonical"] = "reference",
) -> Price:
    """The on-chain price of one UTC ``day`` (default: the latest closed day).

    From exactly one of: a ``node`` (a ``Node``, or just its URL for JSON-RPC
    without credentials), a folder of raw ``blocks`` (``<height>.bin`` or
    ``.bin.gz``), or a ``lake`` (an ``open_lake`` result, or its URL). Equal
    to ``chainprice price --date DAY --json`` on the same input, to the last
    bit. Raises a ``ChainPriceError`` subclass with the CLI's message.
    """
    return from_engine(with_rule(_result(node, blocks, lake, as_date(day), None), window_rule))


def price_recent(
    n_blocks: int = RECENT_BLOCKS,
    *,
    node: Node | str | None = None,
    blocks: str | os.PathLike[str] | None = None,
    lake: Lake | str | None = None,
) -> Price:
    """The price over the latest ``n_blocks`` (1..289, default 144) blocks below the tip;
    sources as for ``price_day`` (``chainprice price --recent N``)."""
    return from_engine(_result(node, blocks, lake, None, check_recent(n_blocks)))


def price_outputs(
    value_sats: Sequence[int] | np.ndarray,
    height: Sequence[int] | np.ndarray,
    time: Sequence[int] | np.ndarray,
    *,
    tip_height: int | None = None,
) -> Price:
    """The price of outputs already chosen by the method's transaction filters, in chain order
    (e.g. the lake's ``outputs`` rows of a window with ``funding_height < start``).

    ``value_sats``, ``height`` and ``time`` (unix seconds) are one entry per
    output; amounts outside the histogram's range are dropped as the method
    does. The window is ``[min(height), max(height) + 1)``; ``tip_height``
    defaults to its last height.
    """
    import numpy as np

    from chainprice.core.engine import price_amounts
    from chainprice.core.output_filter import Amounts, in_range, to_btc
    from chainprice.core.windows import Window

    try:
        sats = np.asarray(value_sats, np.int64)
        heights = np.asarray(height, np.int64)
        times = np.asarray(time, np.int64)
    except (TypeError, ValueError, OverflowError):
        raise UsageError("value_sats, height and time must be whole numbers") from None
    if not sats.size or not (sats.shape == heights.shape == times.shape) or sats.ndim != 1:
        raise UsageError(
            "value_sats, height and time must be non-empty and of one length "
            f"(got {sats.size}, {heights.size} and {times.size})"
        )
    btc = to_btc(sats)
    keep = in_range(btc)
    start, end = int(heights.min()), int(heights.max()) + 1
    window = Window(start, end, end - 1 if tip_height is None else int(tip_height))
    amounts = Amounts(btc=btc[keep], height=heights[keep], time=times[keep])
    return from_engine(price_amounts(amounts, window, "blocks"))


def price_transactions(
    raw: Sequence[bytes],
    entry_time: Sequence[int] | np.ndarray,
    *,
    tip_height: int,
    window_seconds: int = MEMPOOL_WINDOW_SECONDS,
    confirmed_txids: Sequence[str] = (),
) -> Price:
    """The mempool estimate over raw unconfirmed transactions (what ``chainprice mempool``
    prices): those that entered within ``window_seconds`` up to the newest ``entry_time``,
    through the method's filters, dropping any that spends another of the given ones or one
    of ``confirmed_txids`` (hex txids of the blocks stamped within the window).

    The result's ``kind`` is ``mempool``; its heights are the next block's
    (``tip_height + 1``) and its ``date`` the newest entry's UTC day.
    """
    import numpy as np

    from chainprice.core.mempool import ConfirmedTxids, mempool_price
    from chainprice.core.mempool_txs import parse_transactions
    from chainprice.core.windows import utc_date

    try:
        times = np.asarray(entry_time, np.int64).ravel()
        tip, seconds = operator.index(tip_height), operator.index(window_seconds)
    except (TypeError, ValueError, OverflowError):
        raise UsageError(
            "entry_time, tip_height and window_seconds must be whole numbers"
        ) from None
    raws = [bytes(r) for r in raw if isinstance(r, bytes | bytearray | memoryview)]
    if len(raws) != len(raw):
        raise UsageError("raw must hold each transaction's bytes")
    if len(raws) != times.size:
        raise UsageError(f"{len(raws)} transactions but {times.size} entry times")
    txs = parse_transactions(raws, times)
    parents = [_txid_bytes(t) for t in confirmed_txids]
    confirmed = ConfirmedTxids(
        np.frombuffer(b"".join(parents), np.uint8).reshape(-1, 32),
        np.full(len(parents), np.iinfo(np.int64).max, np.int64),  # "within the window"
    )
    result = mempool_price(txs, txs.txid, confirmed, tip, seconds)
    nxt = result.tip + 1
    return Price(
        kind="mempool",
        date=utc_date(result.window_end),
        window_rule="reference",
        start_height=nxt,
        end_height=nxt,
        tip_height=int(result.tip),
        n_outputs=int(result.n_outputs),
        n_price_points=int(result.n_price_points),
        n_plotted=int(result.points.size),
        rough_price=int(result.rough),
        price=float(result.price),
        dev_pct=float(result.dev_pct),
        ax_range=float(result.ax_range),
        method_version=result.method_version,
        canonical=None,
        canonical_pending=False,
    )
