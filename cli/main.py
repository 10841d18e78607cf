"""The ``chainprice`` command: each subcommand wires adapters to the engine or the lake."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli.demo_command import add_demo_parser
from cli.lake_commands import add_lake_parsers
from cli.mempool_command import add_mempool_parser
from cli.price_command import add_price_parser
from core import ChainPriceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainprice", description="Exchange-free BTC/USD price read from the chain itself."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_price_parser(commands)
    add_lake_parsers(commands)
    add_mempool_parser(commands)
    add_demo_parser(commands)
    _add_node_sim_parser(commands)
    return parser


def _add_node_sim_parser(commands: argparse._SubParsersAction) -> None:
    from nodesim.cli import add_arguments, run

    sim = commands.add_parser(
        "node-sim",
        help="serve a simulated chain as Bitcoin Core RPC/REST, Esplora and a price API",
    )
    add_arguments(sim)
    sim.set_defaults(run=run)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code = args.run(args)  # the simulated node returns its own exit code
    except ChainPriceError as exc:
        print(f"chainprice: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
