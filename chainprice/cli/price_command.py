"""``chainprice price``: one day or the latest blocks, from a node, a lake, block files or the
built-in simulated chain."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from chainprice.cli.node_options import add_node_arguments, open_node, parsed_blocks
from chainprice.cli.options import date_arg, store_arg
from chainprice.core.windows import MAX_LAKE_WINDOW, RECENT_BLOCKS

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


def _from_node(args: argparse.Namespace) -> PriceResult:
    from chainprice.api.pricing import node_result

    chain = open_node(args)
    began = time.perf_counter()
    fetch = lambda start, end: parsed_blocks(chain, start, end)  # noqa: E731
    result = node_result(chain, fetch, args.date, args.recent)
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
    from chainprice.api.pricing import lake_result, source_result, with_rule
    from chainprice.cli.render import summary, text

    planted = None
    if args.lake is not None:
        result = lake_result(args.lake, args.date, args.recent)
    elif args.node is not None and not args.chain:  # --chain wins over $CHAINPRICE_NODE_URL
        result = _from_node(args)
    else:
        if args.chain:
            source: BlockFiles | MemoryChain = BlockFiles(args.chain)
        else:
            from chainprice.simchain import compact_day, generate_chain

            sim = generate_chain(compact_day())
            source = MemoryChain(dict(zip(sim.heights, sim.blocks, strict=True)))
        result = source_result(source, source.fetch, args.date, args.recent)
        if not args.chain and result.kind == "day":
            planted = sim.planted_mean(result.date)
    result = with_rule(result, args.window_rule)
    if args.json:
        print(json.dumps(summary(result, with_points=args.points), indent=2))
    else:
        print(text(result, planted))
