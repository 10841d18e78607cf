"""The ``chainprice`` command: each subcommand wires adapters to the engine or the lake.

Building the parser imports nothing heavy (numba, pyarrow, DuckDB, requests
load inside the command that uses them), so ``--help`` and option errors
answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from chainprice.cli.demo_command import add_demo_parser
from chainprice.cli.dispatch_command import add_dispatch_parser
from chainprice.cli.lake_commands import add_lake_parsers
from chainprice.cli.mempool_command import add_mempool_parser
from chainprice.cli.metrics_command import add_metrics_parser
from chainprice.cli.price_command import add_price_parser
from chainprice.cli.site_command import add_site_parser
from chainprice.core.errors import ChainPriceError


class OneLineParser(argparse.ArgumentParser):
    """Bad options end in one line naming the problem (not the usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    """``--version``: read from the installed package's metadata only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("chainprice")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown (not installed)"
        print(f"chainprice {number}")
        parser.exit(0)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="chainprice", description="Exchange-free BTC/USD price read from the chain itself."
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)
    add_price_parser(commands)
    add_lake_parsers(commands)
    add_mempool_parser(commands)
    add_demo_parser(commands)
    add_site_parser(commands)
    add_dispatch_parser(commands)
    add_metrics_parser(commands)
    _add_node_sim_parser(commands)
    return parser


def _add_node_sim_parser(commands: argparse._SubParsersAction) -> None:
    from chainprice.nodesim.cli import add_arguments

    sim = commands.add_parser(
        "node-sim",
        help="serve a simulated chain as Bitcoin Core RPC/REST, Esplora and a price API",
        description="Serves a simulated chain as Bitcoin Core JSON-RPC (at /), Core REST "
        "(/rest), Esplora (/api) and mempool.space's price API (/api/v1) on one port.",
    )
    add_arguments(sim)
    sim.set_defaults(run=_run_node_sim)


def _run_node_sim(args: argparse.Namespace) -> int:
    from chainprice.nodesim.cli import run

    return run(args)


def _warnings_to_stderr() -> None:
    """What the lake and adapters log (``chainprice`` logger): one ``chainprice:`` line each."""
    logger = logging.getLogger("chainprice")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("chainprice: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _warnings_to_stderr()
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
