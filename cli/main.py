"""The ``chainprice`` command: each subcommand wires adapters to the engine or the lake."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cli.demo_command import add_demo_parser
from cli.lake_commands import add_lake_parsers
from cli.price_command import add_price_parser
from cli.site_command import add_site_parser
from core import ChainPriceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainprice", description="Exchange-free BTC/USD price read from the chain itself."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_price_parser(commands)
    add_lake_parsers(commands)
    add_demo_parser(commands)
    add_site_parser(commands)
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


def entry() -> None:
    """The console script: ``main``, then an exit that skips C++ static destructors.

    Arrow starts its thread pool lazily; destroying it at exit while its
    threads are still starting aborts the process with SIGABRT ("terminate
    called without an active exception"), which quick error paths hit about
    one run in four on a busy machine. Every file this program writes is
    already flushed and synced when ``main`` returns, so nothing is lost by
    leaving at once.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse's usage errors and --help
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
