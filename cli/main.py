"""The ``chainprice`` command: wires a chain source to the engine and prints the result."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from adapters.block_files import BlockFiles
from adapters.memory_chain import MemoryChain
from cli.render import summary, text
from core import ChainPriceError, latest_day, price_day, price_recent


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainprice", description="Exchange-free BTC/USD price read from the chain itself."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    price = commands.add_parser(
        "price",
        help="price one UTC day or the latest 144 blocks",
        description="Without --chain, prices the built-in simulated chain (generated in memory).",
    )
    price.add_argument("--chain", help="folder of raw blocks named <height>.bin or .bin.gz")
    which = price.add_mutually_exclusive_group()
    which.add_argument("--date", type=_date, help="UTC day (default: the latest closed day)")
    which.add_argument("--recent", action="store_true", help="the latest 144 blocks instead")
    price.add_argument("--json", action="store_true", help="print JSON instead of text")
    price.add_argument("--points", action="store_true", help="include intraday points in JSON")
    return parser


def _run_price(args: argparse.Namespace) -> None:
    planted = None
    if args.chain:
        source: BlockFiles | MemoryChain = BlockFiles(args.chain)
    else:
        from simchain import compact_day, generate_chain

        sim = generate_chain(compact_day())
        source = MemoryChain(dict(zip(sim.heights, sim.blocks, strict=True)))
    if args.recent:
        result = price_recent(source, source.fetch)
    else:
        day = args.date or latest_day(source)
        result = price_day(source, source.fetch, day)
        if not args.chain:
            planted = sim.planted_mean(day)
    if args.json:
        print(json.dumps(summary(result, with_points=args.points), indent=2))
    else:
        print(text(result, planted))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "price":
            _run_price(args)
    except ChainPriceError as exc:
        print(f"chainprice: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
