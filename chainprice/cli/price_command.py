"""``chainprice price``: one day or the latest blocks, from a node, a lake, block files or the
built-in simulated chain."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from chainprice.cli.node_options import add_node_arguments, open_node, parsed_blocks
from chainprice.cli.options import date_arg, store_arg
from chainprice.core.errors import WindowError
from chainprice.core.windows import MAX_LAKE_WINDOW, RECENT_BLOCKS, latest_day

if TYPE_CHECKING:
    from chainprice.core.result import PriceResult


def _recent(value: str) -> int:
    """A block count the lake can price too (its spend lookback bounds every window)."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_LAKE_WINDOW:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of blocks from 1 to {MAX_LAKE_WINDOW}, not {value!r}"
        )
    return n


def add_price_parser(commands: argparse._SubParsersAction) -> None:
    price = commands.add_parser(
        "price",
        help="price one UTC day or the latest blocks",
        description="Prices a day or the latest blocks from a node (--node), a lake (--lake), "
        "block files (--chain) or, with none of these, the built-in simulated chain.",
    )
    where = price.add_mutually_exclusive_group()
    where.add_argument("--chain", help="folder of raw blocks named <height>.bin or .bin.gz")
    where.add_argument("--lake", type=store_arg, help="lake URL: a folder, gs://… or s3://…")
    which = price.add_mutually_exclusive_group()
    which.add_argument("--date", type=date_arg, help="UTC day (default: the latest closed day)")
    which.add_argument(
        "--recent",
        type=_recent,
        nargs="?",
        const=RECENT_BLOCKS,
        metavar="N",
        help=f"the latest N blocks below the tip instead, 1..{MAX_LAKE_WINDOW} "
        f"(default {RECENT_BLOCKS})",
    )
    price.add_argument(
        "--window-rule",
        choices=("reference", "canonical"),
        default="reference",
        help="day window: the reference's walk (default) or the canonical settled window",
    )
    price.add_argument("--json", action="store_true", help="print one JSON object")
    price.add_argument("--points", action="store_true", help="include intraday points in JSON")
    add_node_arguments(price)
    price.set_defaults(run=run_price)


def _with_rule(result: PriceResult, rule: str) -> PriceResult:
    if rule == "reference" or result.kind != "day":
        return result
    if result.canonical_pending:
        raise WindowError(
            f"the canonical window of {result.date} is not settled yet (too few blocks after "
            "the next midnight); use --window-rule reference or wait"
        )
    return result.canonical or replace(result, kind="canonical_day")


def _from_lake(args: argparse.Namespace) -> PriceResult:
    from chainprice.lake.manifest import load_manifest
    from chainprice.lake.reader import LakeBlocks
    from chainprice.lake.window_prices import day_price, recent_price

    manifest = load_manifest(args.lake)
    if args.recent is not None:
        return recent_price(args.lake, manifest, args.recent)
    return day_price(args.lake, manifest, args.date or latest_day(LakeBlocks(args.lake, manifest)))


def _from_node(args: argparse.Namespace) -> PriceResult:
    from chainprice.core import price_day, price_recent

    chain = open_node(args)
    began = time.perf_counter()
    fetch = lambda start, end: parsed_blocks(chain, start, end)  # noqa: E731
    from chainprice.adapters.node.errors import BlockFetchError, NotFoundError

    try:
        if args.recent is not None:
            result = price_recent(chain, fetch, args.recent)
        else:
            day = args.date or latest_day(chain)
            result = price_day(chain, fetch, day)
    except (NotFoundError, BlockFetchError) as exc:  # a pruned block, a day before the first
        what = f"the latest {args.recent} blocks" if args.recent is not None else str(day)
        raise NotFoundError(f"cannot price {what}: the node lacks a block it needs: {exc}") from (
            None
        )
    stats = chain.stats.snapshot()
    print(
        f"chainprice: {stats['requests']} requests, {stats['bytes'] / 1e6:,.1f} MB, "
        f"{stats['retries']} retries ({stats['timeouts']} timeouts), "
        f"{stats['rejected_blocks']} blocks rejected, "
        f"{time.perf_counter() - began:.2f} s",
        file=sys.stderr,
    )
    return result


def run_price(args: argparse.Namespace) -> None:
    from chainprice.adapters.block_files import BlockFiles
    from chainprice.adapters.memory_chain import MemoryChain
    from chainprice.cli.render import summary, text
    from chainprice.core import price_day, price_recent

    planted = None
    if args.lake is not None:
        result = _from_lake(args)
    elif args.node is not None and not args.chain:  # --chain wins over $CHAINPRICE_NODE_URL
        result = _from_node(args)
    else:
        if args.chain:
            source: BlockFiles | MemoryChain = BlockFiles(args.chain)
        else:
            from chainprice.simchain import compact_day, generate_chain

            sim = generate_chain(compact_day())
            source = MemoryChain(dict(zip(sim.heights, sim.blocks, strict=True)))
        if args.recent is not None:
            result = price_recent(source, source.fetch, args.recent)
        else:
            day = args.date or latest_day(source)
            result = price_day(source, source.fetch, day)
            if not args.chain:
                planted = sim.planted_mean(day)
    result = _with_rule(result, args.window_rule)
    if args.json:
        print(json.dumps(summary(result, with_points=args.points), indent=2))
    else:
        print(text(result, planted))
